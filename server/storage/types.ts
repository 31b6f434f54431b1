/**
 * The storage port of the sync server: everything the hub and its connections ask of the
 * durable state, behind one interface with two implementations, SQLite (better-sqlite3, the
 * embedded default, see sqlite.ts) and PostgreSQL (`pg`, the scale path, see postgres.ts).
 *
 * Every method may answer synchronously or with a Promise ({@link Awaitable}); callers always
 * `await`. `lsn()` is the one synchronous read: the last LSN this node knows to be committed
 * (its own commits, and those of other nodes once their notification arrived); see
 * {@link SyncStorage.refreshLsn} for the authoritative value.
 */
import type { ClientChange, Row } from '../../lib/protocol/index.js';
import type { ApplyOutcome, KnownColumns, Page, PermitFn } from '../store.js';

export type { ApplyOutcome, KnownColumns, Page, PermitFn } from '../store.js';

/** A value or a Promise of it. */
export type Awaitable<T> = T | Promise<T>;

/** A client's record in the `clients` table. */
export interface ClientRecord {
  client_id: string;
  acked_lsn: number;
  last_seen: number;
}

/** Changes committed by someone else than this node's hub (another node, a direct write). */
export type CommitListener = (lsn: number) => void;

/** The durable log + current state + clients, as the hub uses them. */
/** One `client_change` frame to apply, with who sent it (see {@link SyncStorage.applyFrames}). */
export interface FrameRequest {
  readonly clientId: string;
  readonly changes: readonly ClientChange[];
  readonly permit: PermitFn | null;
  readonly sub: string | null;
  readonly known: KnownColumns;
}

export interface SyncStorage {
  /** Identifies this log (stays with the database). */
  readonly serverId: string;
  /** Whether a client at LSN 0 gets snapshot pages (default true; see {@link SyncStorage.readPage}). */
  snapshotFirstSync: boolean;
  /** Which implementation: `'sqlite'` or `'postgres'`. */
  readonly backend: 'sqlite' | 'postgres';
  /** The last LSN this node knows to be committed (0 when the log is empty). */
  lsn(): number;
  /** Ask the database for the last committed LSN (another node may be ahead); updates `lsn()`. */
  refreshLsn(): Awaitable<number>;
  /**
   * Apply one frame's changes in ONE transaction: dedupe each change by (client_id, change_id),
   * check size, schema and permission, write the entity table, append to the log with new LSNs
   * (strictly increasing in commit order). A change that fails is acked `rejected` with the
   * current row; a failure of the database itself rolls the whole frame back and throws.
   */
  applyChanges(clientId: string, changes: readonly ClientChange[], permit?: PermitFn | null, sub?: string | null, known?: KnownColumns): Awaitable<ApplyOutcome>;
  /**
   * Group commit (optional; PostgreSQL has it): several frames in ONE transaction, each answered
   * exactly as `applyChanges` of it right after the one before would answer. All commit or none
   * (a database failure throws; the caller then applies them one by one).
   */
  applyFrames?(frames: readonly FrameRequest[]): Promise<ApplyOutcome[]>;
  /**
   * The page a `sync_request { from_lsn: from }` gets: up to `limit` changes with lsn > `from`, at
   * most `maxBytes` of change JSON (but at least one). From 0 (a first sync) or from behind the
   * compaction {@link SyncStorage.horizon}, a SNAPSHOT page: the compacted log, i.e. the current
   * rows whose last change is after `from`, in LSN order, each an `insert` of the whole row (a
   * deleted row a `delete`) with the LSN, change_id and client_id of its last change; read
   * consistently at one LSN per page (docs/DESIGN.md "Snapshot first sync"). A snapshot page that
   * is not the last keeps `lsn: from` and names a `cursor`: the next request passes it back.
   * `clientId` (the requester): its own changes after `from` go right before their rows, as
   * themselves, so it takes them as echoes (see storage/sqlite-rows.ts ownByRow).
   */
  readPage(from: number, limit: number, maxBytes?: number, cursor?: number, clientId?: string | null): Awaitable<Page>;
  /** Oldest LSN after which the full change history is kept (0: all of it); older history is compacted. */
  horizon(): number;
  /**
   * Compaction: delete the change history written more than `retentionMs` ago (the current rows
   * and the compacted log serve any client from there: a client below the new horizon gets the
   * snapshot path), and prune the clients not seen for the client retention.
   */
  compact(retentionMs: number): Awaitable<{ horizon: number; removed: number; clientsPruned: number }>;
  /** The exact log: up to `limit` changes with lsn > `from` (for broadcasting what other nodes committed). */
  readLog(from: number, limit: number, maxBytes?: number): Awaitable<Page>;
  /** The current row of an entity, or null. */
  currentRow(entity: string, entityId: string): Awaitable<Row | null>;
  /** Record a hello (last_seen); false when the id belongs to another subject. */
  clientSeen(clientId: string, sub?: string | null): Awaitable<boolean>;
  /** Forget client ids not seen for the retention; returns how many. */
  pruneClients(): Awaitable<number>;
  /** Record a client's acked LSN (never moves backwards). */
  clientAcked(clientId: string, lsn: number): Awaitable<void>;
  /** A client's record, or null. */
  client(clientId: string): Awaitable<ClientRecord | null>;
  /**
   * Be told of commits this node did not make (other nodes, writes straight into the tables).
   * SQLite (one process, every write through the hub) never calls it. Returns the unsubscribe.
   */
  onForeignCommit(listener: CommitListener): () => void;
  /** Close the database. Idempotent. */
  close(): Awaitable<void>;
}
