/**
 * A client under test: a real in-process client (`worker: false`, `ws`) that remembers every
 * write the API reported recorded (in order), every error, and whether its LSN ever went back.
 */
import type { Subscription } from 'rxjs';
import { createSyncClient, type SyncClient, type SyncClientOptions, type SyncStatus, type WriteOp } from '../../../lib/index.js';
import type { SyncError } from '../../../lib/errors.js';
import { TEST_SCHEMA } from '../../support/schema.js';

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
  /** Writes whose promise rejected (a valid write must always record). */
  readonly writeFailures: string[] = [];
  /** `lsn a -> b` for every step backwards. */
  readonly lsnBackwards: string[] = [];
  status: SyncStatus | null = null;
  private topLsn = 0;
  private readonly subs: Subscription[] = [];

  constructor(
    readonly name: string,
    url: string | undefined,
    extra: Partial<SyncClientOptions> = {},
  ) {
    this.client = createSyncClient({ url, schema: TEST_SCHEMA, worker: false, storage: 'memory', ...FAST_OPTIONS, ...extra });
    this.subs.push(
      this.client.status$.subscribe((s) => {
        if (s.lsn < this.topLsn) this.lsnBackwards.push(`${this.name}: lsn ${this.topLsn} -> ${s.lsn}`);
        this.topLsn = Math.max(this.topLsn, s.lsn);
        this.status = s;
      }),
      this.client.errors$.subscribe((e) => this.errors.push(e)),
    );
  }

  /** Write one op; remembered only once the API reported it recorded. */
  async write(w: WriteOp): Promise<void> {
    try {
      await this.client.write([w]);
      this.recorded++;
      if (this.keepReported) this.reported.push({ op: w.op, table: w.table, id: w.op === 'insert' ? String((w.row as Record<string, unknown>)['id']) : String(w.id) });
    } catch (e) {
      this.writeFailures.push(`${this.name} ${w.op} ${w.table}: ${(e as Error).message}`);
    }
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
