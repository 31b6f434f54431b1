/**
 * A client under test: a real in-process client (`worker: false`, `ws`) that remembers every
 * write the API reported recorded (in order), every error, and whether its LSN ever went back.
 * With a {@link CountingProbe} its host runs on the probe's persistence (support/probe-worker.ts),
 * so a schedule can fail one journal write: such a write is answered with the persistence error
 * saying the change is KEPT (the rule, lib/worker/durable-announcer.ts), and is counted recorded.
 */
import type { Subscription } from 'rxjs';
import { createSyncClient, type SyncClient, type SyncClientOptions, type SyncStatus, type WriteOp } from '../../../lib/index.js';
import { ErrorCodes, type SyncError } from '../../../lib/errors.js';
import { TEST_SCHEMA } from '../../support/schema.js';
import { probeWorker, type CountingProbe } from './probe-worker.js';

/**
 * Fast timing for fault schedules: tiny backoff, a heartbeat that finds a dead path in ~0.3 s.
 * `RSW_FAULTS_LOG=<level>` (Node) shows the engine's own log when debugging a seed.
 */
export const FAST_OPTIONS: Partial<SyncClientOptions> = {
  backoff: { initialDelay: 5, maxDelay: 50 },
  heartbeat: { interval: 100, timeout: 200 },
  ackTimeout: 3000,
  ...(process.env['RSW_FAULTS_LOG']
    ? { logger: console, logLevel: process.env['RSW_FAULTS_LOG'] as SyncClientOptions['logLevel'] }
    : { logLevel: 'silent' as const }),
};

/** A write the API reported recorded. */
export interface Reported {
  op: WriteOp['op'];
  table: string;
  id: string;
}

/** The client and what the suite saw of it. */
export class TrackedClient {
  readonly client: SyncClient;
  /** The writes reported recorded, in order (unless `keepReported` is false: then only counted). */
  readonly reported: Reported[] = [];
  /** How many writes were reported recorded. */
  recorded = 0;
  /** Keep every reported write (false for long load runs, so the suite's own memory stays flat). */
  keepReported = true;
  readonly errors: SyncError[] = [];
  /** Failed changes this client retried (`retryFailed` moves them to the end of its queue). */
  retried = 0;
  /** Writes answered with a failed journal write, change kept (only with a probe): counted recorded. */
  kept = 0;
  /** `server_changed` errors seen (the server's database was recreated). */
  serverChanged: SyncError[] = [];
  /** Writes whose promise rejected (a valid write must always record). */
  readonly writeFailures: string[] = [];
  /** `lsn a -> b` for every step backwards. */
  readonly lsnBackwards: string[] = [];
  status: SyncStatus | null = null;
  /** It has been synced at least once (it follows a server log). */
  wasSynced = false;
  private topLsn = 0;
  /**
   * The server's database was recreated: the LSN may step back (`client_ahead` to the new log's
   * LSN, then the reset to 0) until the client is synced again after its `server_changed`.
   */
  private resetExpected = false;
  private readonly subs: Subscription[] = [];

  constructor(
    readonly name: string,
    url: string | undefined,
    extra: Partial<SyncClientOptions> = {},
    readonly probe: CountingProbe | null = null,
  ) {
    const logger = FAST_OPTIONS.logger;
    const worker = probe ? probeWorker(probe, logger && ((r) => logger[r.level]?.(r.message, r.context ?? {}))) : false;
    this.client = createSyncClient({ url, schema: TEST_SCHEMA, worker, storage: 'memory', ...FAST_OPTIONS, ...extra });
    this.subs.push(
      this.client.status$.subscribe((s) => {
        if (this.resetExpected) {
          // Following the new server log: count LSNs from there.
          if (s.lsn < this.topLsn) this.topLsn = s.lsn;
          if (this.serverChanged.length > 0 && s.connection === 'synced') this.resetExpected = false;
        }
        if (s.lsn < this.topLsn) this.lsnBackwards.push(`${this.name}: lsn ${this.topLsn} -> ${s.lsn}`);
        this.topLsn = Math.max(this.topLsn, s.lsn);
        if (s.connection === 'synced') this.wasSynced = true;
        this.status = s;
      }),
      this.client.errors$.subscribe((e) => {
        this.errors.push(e);
        if (e.code === ErrorCodes.SERVER_CHANGED) this.serverChanged.push(e);
      }),
    );
  }

  /** The server's database is being recreated (this client had followed the old one). */
  expectReset(): void {
    this.resetExpected = true;
  }

  /** Write one op; remembered only once the API reported it recorded (or kept: see the header). */
  async write(w: WriteOp): Promise<void> {
    try {
      await this.client.write([w]);
    } catch (e) {
      const err = e as SyncError;
      if (!(this.probe && err.code === ErrorCodes.PERSISTENCE && err.message.includes('the change is kept'))) {
        this.writeFailures.push(`${this.name} ${w.op} ${w.table}: ${err.message}`);
        return;
      }
      this.kept++;
    }
    this.recorded++;
    if (this.keepReported) this.reported.push({ op: w.op, table: w.table, id: w.op === 'insert' ? String((w.row as Record<string, unknown>)['id']) : String(w.id) });
  }

  /** Synced, nothing pending, at `lsn`. */
  settledAt(lsn: number): boolean {
    const s = this.status;
    return s !== null && s.connection === 'synced' && s.pending === 0 && s.inFlight === 0 && s.lsn === lsn;
  }

  /** Close the client (flush, close the database). */
  async close(): Promise<void> {
    for (const s of this.subs.splice(0)) s.unsubscribe();
    await this.client.close().catch(() => undefined);
  }
}
