/**
 * `openStore()`: load sql.js, restore the database from its medium (snapshot + journal replay),
 * migrate, create the entity tables, and hand back a ready {@link SqlJsStore}.
 */
import type { Database } from 'sql.js';
import { ErrorCodes, PersistenceError, SyncError, toSyncError } from '../errors.js';
import { parseSchema } from '../protocol/index.js';
import { parseSchemaPlan, schemaFromDb, type MigrationInput } from '../schema/index.js';
import { ensureEntityTables, sqlJsRunner } from './ddl.js';
import { GroupCommitter } from './group-commit.js';
import { decodeJournal } from './journal.js';
import { MIGRATIONS, runMigrations, type Migration } from './migrations.js';
import { memoryPersistence, type Persistence } from './persistence.js';
import { loadSqlJs, type WasmFallback } from './sqljs.js';
import { SqlJsStore } from './store.js';
import { StoreWriter } from './writer.js';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** The app's schema declaration (checked with `parseSchema`). */
  schema: unknown;
  /** Where the database lives (default: memory, nothing survives the process). */
  persistence?: Persistence;
  /** This client's id; default: the stored one, or a new one from `newId` on first open. */
  clientId?: string;
  /** Makes change_ids and the first client id. Default `crypto.randomUUID()`. */
  newId?: () => string;
  /** Take a snapshot (and empty the journal) after this many journaled transactions. Default 2000. */
  snapshotEvery?: number;
  /** ... or after this many journal bytes. Default 8 MiB. */
  snapshotBytes?: number;
  /** Called with each persistence error (also a corrupt journal tail found while opening). */
  onError?: (error: SyncError) => void;
  /** The store's migrations (tests pass their own). Default {@link MIGRATIONS}. */
  migrations?: readonly Migration[];
  /** URL of sql-wasm.wasm (default: the copy next to the module in a browser, sql.js's own in Node). */
  wasmUrl?: string;
  /** The wasm bytes to use when the default URL does not serve the wasm (the worker entry's embedded copy). */
  wasmFallback?: WasmFallback;
  /** Version of the app's `schema` (default 1). */
  schemaVersion?: number;
  /** The app's migrations up to `schemaVersion` (see lib/schema/migrations.ts). */
  appMigrations?: readonly MigrationInput[] | unknown;
  /**
   * Largest local change recorded: UTF-8 bytes of its entity, id and data JSON plus a bound for the
   * rest of its frame. A bigger write is refused (`limit_exceeded`) and nothing of it is recorded: it
   * could never be sent in a frame of that size. Default: no limit (the worker host passes the
   * engine's `maxFrameBytes`).
   */
  maxChangeBytes?: number;
}

/** Open (or create) a store. Rejects with SchemaError, StoreError or PersistenceError. */
export async function openStore(options: OpenStoreOptions): Promise<SqlJsStore> {
  const schema = parseSchema(options.schema);
  const plan = parseSchemaPlan(schema, options.schemaVersion ?? 1, options.appMigrations ?? []);
  const persistence = options.persistence ?? memoryPersistence();
  const newId = options.newId ?? (() => globalThis.crypto.randomUUID());
  const SQL = await loadSqlJs(options.wasmUrl, options.wasmFallback);
  const state = await persistence.load();
  const errors: SyncError[] = [];
  let db: Database;
  try {
    db = new SQL.Database(state.snapshot ?? undefined);
    // The file is sql.js's in-memory one: durability comes from our journal, not SQLite's. Exclusive
    // locking skips the per-transaction lock and cache checks (about +40% on batches).
    db.run('PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY; PRAGMA locking_mode = EXCLUSIVE');
  } catch (cause) {
    throw new PersistenceError(ErrorCodes.PERSISTENCE, `the snapshot of ${persistence.name} is not a database`, { cause });
  }
  try {
    const migrated = runMigrations(db, options.migrations ?? MIGRATIONS);
    // The journal was written against the tables as they are now (before any app migration of
    // this open): replay it with THEIR shape, then migrate, all before anything new is written.
    const replayWriter = new StoreWriter(db, schemaFromDb(sqlJsRunner(db)), () => undefined);
    const replay = replayJournal(replayWriter, state.journal, persistence.name);
    replayWriter.free();
    if (replay.error) errors.push(replay.error);
    const ddl = inTransaction(db, () => ensureEntityTables(db, schema, plan));
    // Late binding: the writer hands commits to the committer, which needs the writer to export.
    let committer: GroupCommitter | null = null;
    const writer = new StoreWriter(db, schema, (ops) => committer!.commit(ops));
    let store: SqlJsStore | null = null;
    committer = new GroupCommitter({
      persistence,
      lastSeq: replay.lastSeq,
      snapshotEvery: options.snapshotEvery ?? 2000,
      snapshotBytes: options.snapshotBytes ?? 8 * 1024 * 1024,
      exportSnapshot: (seq) => {
        writer.setStateUnjournaled('journal_seq', seq);
        return db.export();
      },
      onError: (e) => store?.reportError(e),
    });
    store = new SqlJsStore({ db, schema, writer, committer, persistence, newId, errors, ...(state.epoch !== undefined && { epoch: state.epoch }), ...(options.maxChangeBytes !== undefined && { maxChangeBytes: options.maxChangeBytes }) });
    if (options.onError) {
      store.onError(options.onError);
      for (const e of errors) options.onError(e);
    }
    const wanted = options.clientId;
    if (wanted !== undefined ? store.clientId() !== wanted : store.clientId() === '') store.setClientId(wanted ?? newId());
    // A new schema (the migration is durable once this snapshot is), or a journal with a bad tail
    // (new frames must not follow garbage): start from a fresh snapshot.
    if (migrated > 0 || ddl > 0 || replay.error) await committer.snapshot();
    return store;
  } catch (error) {
    db.close();
    throw toSyncError(error, ErrorCodes.STORE);
  }
}

interface Replayed {
  /** Sequence number of the last transaction in the database. */
  lastSeq: number;
  /** JOURNAL_CORRUPT if the journal had a bad tail. */
  error: PersistenceError | null;
}

/** Replay the journal transactions the snapshot does not hold yet; stop at the first bad one. */
function replayJournal(writer: StoreWriter, chunks: readonly Uint8Array[], name: string): Replayed {
  const snapshotSeq = Number(writer.getState('journal_seq') ?? 0);
  const read = decodeJournal(chunks);
  let lastSeq = snapshotSeq;
  let problem = read.problem;
  let kept = 0;
  for (const tx of read.txs) {
    // Already in the snapshot (a crash came between writing it and emptying the journal).
    if (tx.seq <= lastSeq) continue;
    try {
      writer.replay(tx.ops);
    } catch (e) {
      problem = `transaction ${tx.seq} could not be replayed: ${toSyncError(e).message}`;
      break;
    }
    lastSeq = tx.seq;
    kept++;
  }
  if (problem === null) return { lastSeq, error: null };
  const error = new PersistenceError(ErrorCodes.JOURNAL_CORRUPT, `journal of ${name}: ${problem}; kept the ${kept} transactions before it`, {});
  return { lastSeq, error };
}

function inTransaction<T>(db: Database, fn: () => T): T {
  db.run('BEGIN');
  try {
    const r = fn();
    db.run('COMMIT');
    return r;
  } catch (e) {
    db.run('ROLLBACK');
    throw e;
  }
}
