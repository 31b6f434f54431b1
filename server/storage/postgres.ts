/**
 * The PostgreSQL implementation of the storage port (`pg`). Tables, in the connection's current
 * schema (`?schema=name` in the URL picks one; created when missing):
 *
 * - `rsw_change_log` (lsn bigint primary key, change_id, client_id, entity, entity_id, op, data text
 *   = the row as JSON, created_at bigint ms, sub; unique (client_id, change_id)),
 * - `rsw_clients` (client_id primary key, acked_lsn, last_seen, sub),
 * - `rsw_server_meta` (key, value: server_id),
 * - one table per app schema table, same name and columns (types: see pg-entities.ts); the
 *   server's own tables are prefixed `rsw_` so other programs can tell them apart.
 *
 * LSN order: see pg-apply.ts (a transaction-scoped advisory lock around LSN assignment).
 * Several nodes may share one database: LSN order holds across them.
 */
import { randomUUID } from 'node:crypto';
import type { ClientChange, Row } from '../../lib/protocol/index.js';
import type { SchemaPlan } from '../../lib/schema/index.js';
import { DEFAULT_CLIENT_RETENTION_MS, DEFAULT_MAX_CHANGE_BYTES, type ApplyOutcome, type KnownColumns, type Page, type PermitFn, type StorageBaseOptions } from '../store.js';
import { applyFrame, applyFrames, type ApplyContext } from './pg-apply.js';
import { PgEntities, entityDdl } from './pg-entities.js';
import { ROW_VERSIONS_DDL, pgSnapshotPage } from './pg-snapshot.js';
import { PgListener } from './pg-listen.js';
import { LOG_DDL, compactPgLog, readPgHorizon, readPgLog } from './pg-log.js';
import { captureDdl, notifyChannel } from './pg-triggers.js';
import { SETUP_LOCK_CLASS, type PoolClient } from './pg-types.js';
import type { ClientRecord, CommitListener, FrameRequest, SyncStorage } from './types.js';
import type { Pool } from 'pg';

/** How to open a {@link PgStorage}. */
export interface PgStorageOptions extends StorageBaseOptions {
  /** `postgres://user@host:port/db`, optionally `?schema=name` (default: the search path's first schema). */
  url: string;
  /** Most connections in the pool. Default 4. */
  poolSize?: number;
}

/** Prune the clients table once per this many hellos (and at open). */
const PRUNE_EVERY = 1000;

/** Steps the PostgreSQL backend can do by creating what is missing; any other step is refused at open (not silently skipped). */
function refuseMigrationSteps(plan: SchemaPlan | undefined): void {
  for (const m of plan?.migrations ?? []) {
    for (const step of m.steps) {
      const fine = step.op === 'addTable' || step.op === 'addIndex' || (step.op === 'addColumn' && step.backfill === undefined);
      if (!fine) throw new RangeError(`the PostgreSQL backend does not run the migration step "${step.op}" (version ${m.version}) yet: migrate its tables with SQL, or use SQLite`);
    }
  }
}

/** Split `?schema=` off a URL: the rest goes to `pg`. */
export function parsePgUrl(url: string): { connectionString: string; schema: string | null } {
  const u = new URL(url);
  const schema = u.searchParams.get('schema');
  u.searchParams.delete('schema');
  if (schema !== null && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) throw new RangeError(`schema "${schema.slice(0, 70)}" in the PostgreSQL URL is not a plain identifier`);
  return { connectionString: u.toString(), schema };
}

/** {@link SyncStorage} on PostgreSQL. Open with {@link PgStorage.open}. */
export class PgStorage implements SyncStorage {
  readonly backend = 'postgres' as const;
  snapshotFirstSync = true;
  private lastLsn = 0;
  private hellos = 0;
  private closed: Promise<void> | null = null;
  private readonly listeners = new Set<CommitListener>();
  private readonly ctx: ApplyContext;
  private listener: PgListener | null = null;
  private horizonLsn = 0;
  /** Bytes per entry of the last snapshot page (sizes the first row read of the next one). */
  private snapshotEntryBytes: number | null = null;

  private constructor(
    /** The connection pool (exposed for the listener and for specs). */
    readonly pool: Pool,
    readonly schemaName: string,
    readonly serverId: string,
    opts: PgStorageOptions,
    private readonly entities: PgEntities,
    private readonly clientRetentionMs: number,
    private readonly now: () => number,
  ) {
    this.ctx = { schema: opts.schema, entities, maxChangeBytes: opts.maxChangeBytes ?? DEFAULT_MAX_CHANGE_BYTES, now, channel: notifyChannel(schemaName) };
  }

  /** Connect, create the tables (under an advisory lock: several nodes may start together), read the LSN. */
  static async open(opts: PgStorageOptions): Promise<PgStorage> {
    refuseMigrationSteps(opts.plan);
    const pg = (await import('pg')).default;
    const { connectionString, schema } = parsePgUrl(opts.url);
    const types = {
      // bigint (int8) -> number: LSNs and ms timestamps stay far below 2^53.
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
    };
    // Pipeline mode: a frame group's writes and its COMMIT are sent back to back (pg-pipeline.ts); one query at a time is the same as without it.
    const pool = new pg.Pool({ connectionString, max: opts.poolSize ?? 4, types, pipeline: true, ...(schema !== null && { options: `-c search_path=${schema}` }) });
    pool.on('error', () => undefined); // an idle connection dropped: the next query reconnects
    try {
      const db = await pool.connect();
      try {
        if (schema !== null) await db.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch((e: { code?: string }) => {
          if (e.code !== '23505' && e.code !== '42P06') throw e; // created by a node starting at the same time
        });
        const current = ((await db.query('SELECT current_schema() AS s')).rows[0] as { s: string | null }).s;
        if (current === null) throw new RangeError('the PostgreSQL connection has no current schema (search_path): name one with ?schema=');
        await db.query('BEGIN');
        await db.query(`SELECT pg_advisory_xact_lock(${SETUP_LOCK_CLASS}, hashtext(current_schema()))`);
        for (const sql of [...LOG_DDL, ...ROW_VERSIONS_DDL, ...entityDdl(opts.schema), ...captureDdl(current, opts.schema)]) await db.query(sql);
        await db.query({ text: "INSERT INTO rsw_server_meta (key, value) VALUES ('server_id', $1) ON CONFLICT (key) DO NOTHING", values: [opts.serverId ?? randomUUID()] });
        await db.query('COMMIT');
        const id = (await db.query("SELECT value FROM rsw_server_meta WHERE key = 'server_id'")).rows[0] as { value: string };
        const store = new PgStorage(pool, current, id.value, opts, new PgEntities(opts.schema), opts.clientRetentionMs ?? DEFAULT_CLIENT_RETENTION_MS, opts.now);
        await store.refreshLsn();
        store.horizonLsn = await readPgHorizon(pool);
        await store.pruneClients();
        // Commits of other nodes and direct writes: LISTEN on a connection of its own.
        store.listener = await PgListener.start(pg.Client, { connectionString, types, ...(schema !== null && { options: `-c search_path=${schema}` }) }, current, {
          commit: (lsn) => void store.foreign(lsn).catch(() => undefined),
          lost: () => undefined,
        });
        return store;
      } catch (e) {
        await db.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        db.release();
      }
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw e;
    }
  }

  lsn(): number {
    return this.lastLsn;
  }

  async refreshLsn(): Promise<number> {
    const r = await this.pool.query('SELECT coalesce(max(lsn), 0)::int8 AS m FROM rsw_change_log');
    return this.saw(Number((r.rows[0] as { m: number }).m));
  }

  /** Note that `lsn` is committed (never moves backwards); returns the new `lsn()`. */
  saw(lsn: number): number {
    if (lsn > this.lastLsn) this.lastLsn = lsn;
    return this.lastLsn;
  }

  async applyChanges(clientId: string, changes: readonly ClientChange[], permit: PermitFn | null = null, sub: string | null = null, known: KnownColumns = null): Promise<ApplyOutcome> {
    return (await this.applying((db) => applyFrame(db, this.ctx, clientId, changes, permit, sub, known).then((o) => [o])))[0]!;
  }

  /** Group commit (see pg-apply.ts applyFrames): the frames in one transaction, each answered on its own. */
  applyFrames(frames: readonly FrameRequest[]): Promise<ApplyOutcome[]> {
    return this.applying((db) => applyFrames(db, this.ctx, frames));
  }

  /** Run an apply on a pooled connection (dropped, not reused, after a failure) and note the LSNs it committed. */
  private async applying(run: (db: PoolClient) => Promise<ApplyOutcome[]>): Promise<ApplyOutcome[]> {
    const db = await this.pool.connect();
    let broken = false;
    try {
      const out = await run(db);
      for (const o of out) if (o.committed.length > 0) this.saw(o.committed[o.committed.length - 1]!.lsn);
      return out;
    } catch (e) {
      broken = true;
      throw e;
    } finally {
      db.release(broken);
    }
  }

  async readPage(from: number, limit: number, maxBytes = Infinity, cursor?: number, clientId: string | null = null): Promise<Page> {
    // From 0 (a first sync), from behind the compaction horizon, or continuing one: the compacted log (current rows).
    if (cursor !== undefined || (from === 0 && this.snapshotFirstSync) || from < this.horizon()) {
      // A page that continues a snapshot starts with a read sized by the last page's entries.
      const estimate = cursor === undefined ? null : this.snapshotEntryBytes;
      const { top, bytesPerEntry, ...page } = await pgSnapshotPage(this.pool, this.ctx.schema, from, cursor ?? from, limit, maxBytes, clientId, estimate);
      this.snapshotEntryBytes = bytesPerEntry;
      this.saw(top);
      return page;
    }
    // The log read and the horizon in ONE snapshot: a compaction running meanwhile cannot leave a gap.
    const db = await this.pool.connect();
    try {
      await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      this.horizonLsn = Math.max(this.horizonLsn, await readPgHorizon(db));
      const page = from < this.horizonLsn ? null : await this.readLog(from, limit, maxBytes, db);
      await db.query('COMMIT');
      if (page !== null) return page;
    } catch (e) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      db.release();
    }
    return this.readPage(from, limit, maxBytes, cursor, clientId); // behind the horizon now: a snapshot
  }

  horizon(): number {
    return this.horizonLsn;
  }

  async compact(retentionMs: number): Promise<{ horizon: number; removed: number; clientsPruned: number }> {
    const { horizon, removed } = await compactPgLog(this.pool, this.now() - retentionMs);
    this.horizonLsn = Math.max(this.horizonLsn, horizon);
    return { horizon: this.horizonLsn, removed, clientsPruned: await this.pruneClients() };
  }

  /** Up to `limit` changes of the log with lsn > `from` (the exact history). */
  async readLog(from: number, limit: number, maxBytes = Infinity, on: Pick<Pool, 'query'> = this.pool): Promise<Page> {
    const { changesJson, lsn, rows, cut } = await readPgLog(on, from, limit, maxBytes);
    this.saw(lsn);
    // Fewer rows than asked and none left out: nothing more was committed when the page was read.
    const complete = (!cut && rows < limit) || lsn >= this.lastLsn;
    return { changesJson, lsn, complete };
  }

  /** Every current row of a table (access rules load their mirror with it). */
  scanRows(entity: string): Promise<Row[]> {
    return this.entities.all(this.pool, entity);
  }

  currentRow(entity: string, entityId: string): Promise<Row | null> {
    return this.entities.current(this.pool, entity, entityId);
  }

  async clientSeen(clientId: string, sub: string | null = null): Promise<boolean> {
    // One statement: record the hello unless the id belongs to another subject.
    const res = await this.pool.query({
      text: `INSERT INTO rsw_clients AS c (client_id, acked_lsn, last_seen, sub) VALUES ($1, 0, $2, $3)
        ON CONFLICT (client_id) DO UPDATE SET last_seen = EXCLUDED.last_seen, sub = coalesce(c.sub, EXCLUDED.sub)
        WHERE c.sub IS NULL OR EXCLUDED.sub IS NULL OR c.sub = EXCLUDED.sub`,
      values: [clientId, this.now(), sub],
    });
    if (res.rowCount === 0) return false;
    if (++this.hellos % PRUNE_EVERY === 0) await this.pruneClients();
    return true;
  }

  async pruneClients(): Promise<number> {
    const res = await this.pool.query({ text: 'DELETE FROM rsw_clients WHERE last_seen < $1', values: [this.now() - this.clientRetentionMs] });
    return res.rowCount ?? 0;
  }

  async clientAcked(clientId: string, lsn: number): Promise<void> {
    await this.pool.query({
      text: `INSERT INTO rsw_clients AS c (client_id, acked_lsn, last_seen) VALUES ($1, $2, $3)
        ON CONFLICT (client_id) DO UPDATE SET acked_lsn = greatest(c.acked_lsn, EXCLUDED.acked_lsn), last_seen = EXCLUDED.last_seen`,
      values: [clientId, lsn, this.now()],
    });
  }

  async client(clientId: string): Promise<ClientRecord | null> {
    const res = await this.pool.query({ text: 'SELECT client_id, acked_lsn, last_seen FROM rsw_clients WHERE client_id = $1', values: [clientId] });
    return (res.rows[0] as ClientRecord | undefined) ?? null;
  }

  onForeignCommit(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A commit up to `lsn` was notified (null: the listener (re)connected, look at the log): tell the listeners if it is news. */
  private async foreign(lsn: number | null): Promise<void> {
    const before = this.lastLsn;
    const now = lsn === null ? await this.refreshLsn() : this.saw(lsn);
    if (now > before) for (const l of this.listeners) l(now);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.listener?.close();
      await this.pool.end();
    })();
    return this.closed;
  }
}
