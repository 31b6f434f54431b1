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

/** Open the storage `opts.file` names (a SQLite path or a PostgreSQL URL). */
export async function openStorage(opts: LogStoreOptions): Promise<SyncStorage> {
  if (!isPostgresUrl(opts.file)) return SqliteStorage.open(opts);
  const { PgStorage } = await import('./postgres.js');
  return PgStorage.open({ ...opts, url: opts.file });
}
