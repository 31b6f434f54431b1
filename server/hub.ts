/**
 * The hub: owns the store, the limits and the set of connections; serialises applies (commit
 * order = broadcast order, also with an asynchronous store), fans a committed batch out to every
 * handshaken client (each frame serialised ONCE into one Buffer shared by all), sums the output
 * all connections hold (the global output budget), and runs the heartbeat.
 */
import { ReadAheadBudget } from './read-ahead.js';
import type { WebSocket } from 'ws';
import type { ClientChange, Row, ServerChange } from '../lib/protocol/index.js';
import type { TokenVerifier } from './auth.js';
import { ClientConnection } from './connection.js';
import { serverChangesFrames } from './frames.js';
import type { Identity } from './handshake.js';
import type { Limits } from './limits.js';
import type { Logger } from './logger.js';
import type { SchemaVersions } from './schema-versions.js';
import type { PermitFn } from './store.js';
import type { FrameRequest, SyncStorage } from './storage/types.js';
import type { AccessControl } from './access/access-control.js';
import type { WriteCapture } from './access/writes.js';
import { ApplyQueue, type FrameOutcome } from './apply-queue.js';
import { ForeignRelay, sendToAll } from './storage/relay.js';
import type { Page } from './storage/types.js';

/**
 * What a `rejected` ack may show of the current row: the hook point where access control filters
 * it (a caller must not learn a row it may not read). Return null to show none.
 */
export type RejectedRowFn = (change: ClientChange, who: Identity, row: Row | null) => Row | null;

/** The settings of a hub, shared by all its connections. */
export interface HubSettings {
  readonly store: SyncStorage;
  readonly limits: Readonly<Limits>;
  readonly logger: Logger;
  /** Clock, ms since the epoch (token expiry, rate limit). */
  readonly now: () => number;
  /** Checks hello tokens; null = open server. */
  readonly verifier: TokenVerifier | null;
  /** Permission check for each change; null = everything allowed. */
  readonly permit: PermitFn | null;
  /** Largest catch-up page. */
  readonly pageSize: number;
  /** What a rejected ack shows of the current row. Default: the row as stored. */
  readonly rejectedRow: RejectedRowFn;
  /** Access rules (server/access/): per-connection filtering of everything that carries rows. Absent: everyone reads everything. */
  readonly access?: AccessControl | null;
  /** App schema versions served (see schema-versions.ts). Absent: every client is taken to have the newest schema. */
  readonly schemas?: SchemaVersions;
}

/** What a connection needs from its server. */
export interface HubContext {
  readonly settings: HubSettings;
  /** Start receiving broadcasts (after a good hello). */
  join(conn: ClientConnection): void;
  /** Stop receiving broadcasts (closing). */
  part(conn: ClientConnection): void;
  /** Forget the connection (closed). */
  leave(conn: ClientConnection): void;
  /** Run `task` after every task queued before it (applies and their broadcasts). */
  serial<T>(task: () => Promise<T> | T): Promise<T>;
  /**
   * Write a run of one sender's frames, of `sizes` changes each, in that same order (`request`
   * makes them when their turn comes), then run `then` with each frame's outcome (or the
   * database's failure), still in order. The run is one transaction, and runs queued back to
   * back may share one (see apply-queue.ts).
   */
  applyInOrder(sizes: readonly number[], request: () => readonly FrameRequest[], then: (outcomes: readonly FrameOutcome[]) => unknown): Promise<void>;
  /**
   * Send changes just committed after `prevLsn` to every handshaken client, the sender included
   * (with access rules: to each what it may read; `capture` has the rows before the changes).
   */
  broadcastChanges(prevLsn: number, committed: Parameters<typeof serverChangesFrames>[1], capture?: WriteCapture | null): void | Promise<void>;
  /** Unsent output bytes of every connection together. */
  outputBytes(): number;
  /** The byte budget of catch-up pages read ahead, all connections together (read-ahead.ts). */
  readonly readAhead: ReadAheadBudget;
}

/** Connections and broadcast. */
export class SyncHub implements HubContext {
  private readonly all = new Set<ClientConnection>();
  private readonly ready = new Set<ClientConnection>();
  /** Applies, their broadcasts and every other ordered task (group commit: see apply-queue.ts). */
  private readonly queue: ApplyQueue;
  private readonly heartbeat: NodeJS.Timeout | null;
  /** issue 16: what other nodes and direct writes committed reaches the clients too (see relay.ts). */
  private readonly relay: ForeignRelay;
  readonly readAhead: ReadAheadBudget;

  constructor(readonly settings: HubSettings) {
    this.readAhead = new ReadAheadBudget(settings.limits.globalOutputBytes);
    const every = settings.limits.heartbeatMs;
    // The server's own lifecycle timer (not protocol logic): finds sockets that stopped answering.
    this.heartbeat = every > 0 ? setInterval(() => this.all.forEach((c) => c.heartbeat()), every) : null;
    this.heartbeat?.unref();
    // With access rules what others committed goes through the same per-connection filter (access/foreign.ts).
    const { access } = settings;
    const deliver = access ? (from: number, page: Page) => access.broadcastForeign(from, page.changesJson.map((j) => JSON.parse(j) as ServerChange), settings.limits.pageMaxBytes) : sendToAll(() => this.ready);
    this.relay = new ForeignRelay(settings, this, deliver);
    const { store } = settings;
    // Group commit only without access rules: their capture and mirror work frame by frame (access/writes.ts).
    const many = !access && store.applyFrames ? (frames: readonly FrameRequest[]) => store.applyFrames!(frames) : null;
    this.queue = new ApplyQueue({ one: (f) => store.applyChanges(f.clientId, f.changes, f.permit, f.sub, f.known), many });
  }

  /** Serve a newly accepted socket. */
  accept(ws: WebSocket, peer: string): ClientConnection {
    const conn = new ClientConnection(ws, this, peer);
    this.all.add(conn);
    return conn;
  }

  join(conn: ClientConnection): void {
    this.ready.add(conn);
  }

  part(conn: ClientConnection): void {
    this.ready.delete(conn);
    this.settings.access?.detach(conn);
  }

  leave(conn: ClientConnection): void {
    this.ready.delete(conn);
    this.settings.access?.detach(conn);
    this.all.delete(conn);
  }

  serial<T>(task: () => Promise<T> | T): Promise<T> {
    return this.queue.serial(task);
  }

  applyInOrder(sizes: readonly number[], request: () => readonly FrameRequest[], then: (outcomes: readonly FrameOutcome[]) => unknown): Promise<void> {
    return this.queue.apply(sizes, request, then);
  }

  broadcastChanges(prevLsn: number, committed: Parameters<typeof serverChangesFrames>[1], capture: WriteCapture | null = null): void | Promise<void> {
    // Another node committed in between (not relayed yet): send that first, so every client sees one gap-free sequence.
    if (this.relay.behind(prevLsn)) return this.relay.upTo(prevLsn).then(() => this.fanOut(prevLsn, committed, capture));
    return this.fanOut(prevLsn, committed, capture);
  }

  private fanOut(prevLsn: number, committed: Parameters<typeof serverChangesFrames>[1], capture: WriteCapture | null): void | Promise<void> {
    const { access } = this.settings;
    const last = committed[committed.length - 1]?.lsn ?? prevLsn;
    this.relay.sent(last);
    if (access) return access.broadcast(prevLsn, committed, capture, this.settings.limits.pageMaxBytes);
    serverChangesFrames(prevLsn, committed, this.settings.limits.pageMaxBytes).forEach((frame, page) => {
      const bytes = Buffer.from(frame, 'utf8');
      for (const conn of this.ready) conn.sendRaw(bytes, page > 0);
    });
  }

  outputBytes(): number {
    let sum = 0;
    for (const conn of this.all) sum += conn.bufferedAmount();
    return sum;
  }

  /** How many clients are handshaken. */
  readyCount(): number {
    return this.ready.size;
  }

  /** How many sockets are open (handshaken or not). */
  connectionCount(): number {
    return this.all.size;
  }

  /** Close every connection (server stopping) and stop the heartbeat. */
  closeAll(code: number, reason: string): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.relay.stop();
    for (const conn of this.all) conn.close(code, reason);
  }
}
