/**
 * The server's durable state in SQLite (better-sqlite3, WAL): the change log, the current-state
 * entity tables and the clients' positions. Everything is synchronous and runs on the one Node
 * thread, so commit order IS LSN order, and a broadcast right after a commit keeps that order.
 *
 * SQLite on one machine is the embedded default. PostgreSQL (LSN taken from its own write-ahead
 * log, logical replication to fan out) is the path for deployments that outgrow one machine;
 * it is out of scope for this reference server.
 *
 * Tables: `change_log` (lsn primary key, (client_id, change_id) unique, entity, entity_id, op,
 * data JSON, created_at, sub = the token subject that wrote it), `clients` (client_id, acked_lsn,
 * last_seen, sub = the user the client id belongs to; rows unseen for `clientRetentionMs` are
 * pruned), `server_meta` (server_id), and one table per schema table. A log created before
 * (client_id, change_id) dedupe is migrated in place at open.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import type { AckEntry, ClientChange, Row, SchemaDeclaration, ServerChange } from '../lib/protocol/index.js';
import type { SchemaPlan } from '../lib/schema/index.js';
import { EntityTables, migrateEntityTables } from './entities.js';
import { RowVersions } from './storage/sqlite-rows.js';
import { compactLog, readHorizon } from './storage/sqlite-compact.js';
import { CHANGE_LOG_COLUMNS, LogWriter, migrateLog } from './storage/sqlite-log.js';
import { applyFrame } from './storage/sqlite-apply.js';

/**
 * Decides whether a client may make a change: `null` = allowed, a string = why not. `current` is
 * the row as stored right before the change (null: none), read inside the write transaction.
 */
export type PermitFn = (change: ClientChange, who: { client_id: string; sub: string | null }, current: Row | null) => string | null;

/** What every storage backend is opened with (see server/storage/). */
export interface StorageBaseOptions {
  /** The parsed schema (parseSchema). */
  schema: SchemaDeclaration;
  /** Clock, ms since the epoch (created_at, last_seen). */
  now: () => number;
  /** Id for a NEW log (an existing database keeps its own). Default: a random UUID. */
  serverId?: string;
  /** The schema's version and migrations (parseSchemaPlan); default version 1, none. PostgreSQL creates tables and adds columns; it runs no other migration steps. */
  plan?: SchemaPlan;
  /**
   * Largest change accepted, in UTF-8 bytes of its `entity_id` plus its `data` as JSON. A bigger
   * one is acked `rejected` (code `limit_exceeded`). Keeps every page and broadcast far below the
   * client's frame limit. Default {@link DEFAULT_MAX_CHANGE_BYTES}.
   */
  maxChangeBytes?: number;
  /** A client id not seen for this long is forgotten (its row in `clients`). Default 90 days. */
  clientRetentionMs?: number;
}

/** How to open a {@link LogStore}. */
export interface LogStoreOptions extends StorageBaseOptions {
  /** A file path, or `':memory:'`. */
  file: string;
}

/** Default retention of an unseen client id: 90 days. */
export const DEFAULT_CLIENT_RETENTION_MS = 90 * 24 * 3600 * 1000;
/** Prune the clients table once per this many hellos (and at open). */
const PRUNE_EVERY = 1000;

/** Default largest change: 1 MiB (the client refuses frames over 16 Mi characters). */
export const DEFAULT_MAX_CHANGE_BYTES = 1024 * 1024;

/** Per table, the columns a client's (older) schema version knows; null: it knows the newest schema. */
export type KnownColumns = ReadonlyMap<string, ReadonlySet<string>> | null;

/** What one `client_change` frame did. */
export interface ApplyOutcome {
  /** One per change, in change order. */
  acks: AckEntry[];
  /** The changes appended to the log, in LSN order (empty if none). */
  committed: ServerChange[];
  /** LSN before the first committed change. */
  prevLsn: number;
}

/** One catch-up page, already serialised (see {@link LogStore.readPage}). */
export interface Page {
  /** The changes as JSON texts, in LSN order. */
  changesJson: string[];
  /** Last LSN in the page, or `from` when empty; a snapshot page that is not the last: `from`. */
  lsn: number;
  /** Nothing in the log after `lsn`. */
  complete: boolean;
  /** A snapshot page that is not the last: the LSN to continue after (`sync_response.cursor`). */
  cursor?: number;
}

/** One row of the change log table. */
export interface LogRow {
  lsn: number;
  change_id: string;
  client_id: string;
  entity: string;
  entity_id: string;
  op: string;
  data: string | null;
}

/** The durable log + current state. Open with {@link LogStore.open}. */
export class LogStore {
  private lastLsn: number;
  private hellos = 0;
  private readonly entities: EntityTables;
  private readonly versions: RowVersions;
  private readonly log: LogWriter;
  private horizonLsn: number;
  private readonly stmt;
  private readonly applyTx;

  private constructor(
    private readonly db: Database.Database,
    private readonly schema: SchemaDeclaration,
    private readonly now: () => number,
    /** Identifies this log; a restored or fresh database has another one. */
    readonly serverId: string,
    private readonly maxChangeBytes: number,
    private readonly clientRetentionMs: number,
  ) {
    this.entities = new EntityTables(db, schema);
    this.versions = new RowVersions(db);
    this.log = new LogWriter(db);
    this.stmt = {
      page: db.prepare('SELECT lsn, change_id, client_id, entity, entity_id, op, data FROM change_log WHERE lsn > ? ORDER BY lsn LIMIT ?'),
      owner: db.prepare('SELECT sub FROM clients WHERE client_id = ?').pluck(),
      seen: db.prepare(
        'INSERT INTO clients (client_id, acked_lsn, last_seen, sub) VALUES (?, 0, ?, ?) ON CONFLICT(client_id) DO UPDATE SET last_seen = excluded.last_seen, sub = coalesce(sub, excluded.sub)',
      ),
      prune: db.prepare('DELETE FROM clients WHERE last_seen < ?'),
      acked: db.prepare(
        'INSERT INTO clients (client_id, acked_lsn, last_seen) VALUES (?, ?, ?) ON CONFLICT(client_id) DO UPDATE SET acked_lsn = max(acked_lsn, excluded.acked_lsn), last_seen = excluded.last_seen',
      ),
      client: db.prepare('SELECT client_id, acked_lsn, last_seen FROM clients WHERE client_id = ?'),
    };
    this.lastLsn = (db.prepare('SELECT coalesce(max(lsn), 0) FROM change_log').pluck().get() as number) ?? 0;
    this.horizonLsn = readHorizon(db);
    this.applyTx = db.transaction((clientId: string, changes: readonly ClientChange[], permit: PermitFn | null, sub: string | null, known: KnownColumns) => {
      const ctx = { schema: this.schema, entities: this.entities, log: this.log, maxChangeBytes: this.maxChangeBytes, now: this.now() };
      const outcome = applyFrame(ctx, this.lastLsn, { clientId, sub, permit, known }, changes);
      this.lastLsn = outcome.prevLsn + outcome.committed.length;
      return outcome;
    });
  }

  /** Open (or create) the database, in WAL mode, with the log tables and the schema's tables. */
  static open(opts: LogStoreOptions): LogStore {
    const db = new Database(opts.file);
    db.pragma('journal_mode = WAL');
    // WAL + NORMAL: a commit survives a crash of the process; an OS crash may lose the last ones.
    db.pragma('synchronous = NORMAL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS change_log (${CHANGE_LOG_COLUMNS});
      CREATE TABLE IF NOT EXISTS clients (client_id TEXT PRIMARY KEY, acked_lsn INTEGER NOT NULL DEFAULT 0, last_seen INTEGER NOT NULL, sub TEXT);
      CREATE TABLE IF NOT EXISTS server_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`);
    migrateLog(db);
    db.exec('CREATE INDEX IF NOT EXISTS clients_last_seen ON clients (last_seen)');
    db.prepare('INSERT OR IGNORE INTO server_meta (key, value) VALUES (?, ?)').run('server_id', opts.serverId ?? randomUUID());
    const serverId = db.prepare("SELECT value FROM server_meta WHERE key = 'server_id'").pluck().get() as string;
    migrateEntityTables(db, opts.schema, opts.plan);
    const store = new LogStore(db, opts.schema, opts.now, serverId, opts.maxChangeBytes ?? DEFAULT_MAX_CHANGE_BYTES, opts.clientRetentionMs ?? DEFAULT_CLIENT_RETENTION_MS);
    store.pruneClients();
    return store;
  }

  /** The LSN of the last committed change (0 when the log is empty). */
  lsn(): number {
    return this.lastLsn;
  }

  /**
   * Apply one frame's changes in ONE transaction: dedupe by (client_id, change_id) (another
   * client's change with the same change_id is a different change), check the size, the schema
   * and the permission, write the entity table, append to the log with the writer's `sub`. A change that fails is acked
   * `rejected` with the current row; the others still apply. A failure of the database itself
   * rolls the whole frame back and throws (nothing written, LSN unchanged).
   */
  applyChanges(clientId: string, changes: readonly ClientChange[], permit: PermitFn | null = null, sub: string | null = null, known: KnownColumns = null): ApplyOutcome {
    const before = this.lastLsn;
    try {
      return this.applyTx(clientId, changes, permit, sub, known);
    } catch (e) {
      this.lastLsn = before; // the transaction rolled back: so do the LSNs it handed out
      throw e;
    }
  }

  /**
   * Up to `limit` changes with lsn > `from`, serialised once (the log already holds data as JSON),
   * and at most `maxBytes` UTF-8 bytes of change JSON, but always at least one change when there
   * is one (a single change is bounded by `maxChangeBytes`). Reads row by row (`iterate()`), so
   * a page never loads more than it sends.
   */
  readPage(from: number, limit: number, maxBytes = Infinity): Page {
    const changesJson: string[] = [];
    let bytes = 0;
    let lsn = from;
    for (const r of this.stmt.page.iterate(from, limit) as IterableIterator<LogRow>) {
      const json =
        `{"lsn":${r.lsn},"change_id":${JSON.stringify(r.change_id)},"client_id":${JSON.stringify(r.client_id)},"entity":${JSON.stringify(r.entity)},` +
        `"entity_id":${JSON.stringify(r.entity_id)},"op":${JSON.stringify(r.op)},"data":${r.data ?? 'null'}}`;
      const size = Buffer.byteLength(json) + 1;
      if (changesJson.length > 0 && bytes + size > maxBytes) break; // leaving the loop closes the cursor
      changesJson.push(json);
      bytes += size;
      lsn = r.lsn;
    }
    return { changesJson, lsn, complete: lsn >= this.lastLsn };
  }

  /**
   * A snapshot page (the compacted log, see storage/sqlite-rows.ts): the CURRENT rows whose last
   * change is after `from`, in LSN order, as inserts (tombstones as deletes). One consistent read.
   */
  snapshotPage(from: number, limit: number, maxBytes = Infinity, after = from, clientId: string | null = null): Page {
    return this.versions.snapshotPage(this.entities, from, after, limit, maxBytes, this.lastLsn, clientId);
  }

  /** The current row of an entity (null if none). */
  currentRow(entity: string, entityId: string) {
    return this.entities.current(entity, entityId);
  }

  /** Current rows of `entity` whose `column` equals `value` (access rules; see server/access/). */
  rowsWhere(entity: string, column: string, value: unknown): Row[] {
    return this.entities.where(entity, column, value);
  }

  /** Every current row of `entity`, one at a time (backfill of a scope; see server/access/). */
  scanRows(entity: string): IterableIterator<Row> {
    return this.entities.scan(entity);
  }

  /**
   * Record that a client connected (last_seen) and bind its id to `sub` (the token's subject) the
   * first time a subject uses it. Returns false, recording nothing, when the id belongs to
   * ANOTHER subject (a client id is not shared between users). `sub` null (open server) binds nothing.
   */
  clientSeen(clientId: string, sub: string | null = null): boolean {
    if (sub !== null) {
      const owner = this.stmt.owner.get(clientId) as string | null | undefined;
      if (owner !== undefined && owner !== null && owner !== sub) return false;
    }
    this.stmt.seen.run(clientId, this.now(), sub);
    if (++this.hellos % PRUNE_EVERY === 0) this.pruneClients();
    return true;
  }

  /** History up to this LSN is compacted (0: none); see storage/sqlite-compact.ts. */
  horizon(): number {
    return this.horizonLsn;
  }

  /** Delete the history written more than `retentionMs` ago; returns the horizon and how many changes went. */
  compact(retentionMs: number): { horizon: number; removed: number } {
    const out = compactLog(this.db, this.now() - retentionMs);
    this.horizonLsn = out.horizon;
    return out;
  }

  /** Forget client ids not seen for `clientRetentionMs`; returns how many. */
  pruneClients(): number {
    return this.stmt.prune.run(this.now() - this.clientRetentionMs).changes;
  }

  /** Record a client's acked LSN (never moves backwards). */
  clientAcked(clientId: string, lsn: number): void {
    this.stmt.acked.run(clientId, lsn, this.now());
  }

  /** A client's record, or null. */
  client(clientId: string): { client_id: string; acked_lsn: number; last_seen: number } | null {
    return (this.stmt.client.get(clientId) as { client_id: string; acked_lsn: number; last_seen: number } | undefined) ?? null;
  }

  /** Close the database (checkpoints the WAL). */
  close(): void {
    if (this.db.open) this.db.close();
  }
}

