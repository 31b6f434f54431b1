/**
 * Pick the storage for a `db` option: a `postgres://` / `postgresql://` URL opens PostgreSQL
 * (loading `pg` only then), anything else is a SQLite file path (or `':memory:'`).
 */
import type { LogStoreOptions } from '../store.js';
import { SqliteStorage } from './sqlite.js';
import type { SyncStorage } from './types.js';

/** Is `db` a PostgreSQL URL? */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** How pages are served (the same for both backends). */
export interface ServeOptions {
  /** A client at LSN 0 gets snapshot pages (default true); false: the whole log. */
  snapshotFirstSync?: boolean;
}

/** Open the storage `opts.file` names (a SQLite path or a PostgreSQL URL). */
export async function openStorage(opts: LogStoreOptions, serve: ServeOptions = {}): Promise<SyncStorage> {
  const store = isPostgresUrl(opts.file) ? await (await import('./postgres.js')).PgStorage.open({ ...opts, url: opts.file }) : SqliteStorage.open(opts);
  store.snapshotFirstSync = serve.snapshotFirstSync ?? true;
  return store;
}
