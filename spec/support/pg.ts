/**
 * PostgreSQL for specs: `npm test` creates a throwaway database per run and passes its URL in
 * RSW_PG_URL (scripts/pg-test-db.mjs). Each store or server gets its own fresh schema in it, so
 * every spec starts from an empty log. No PostgreSQL is a failure, never a skip.
 */
import pg from 'pg';

let counter = 0;

/** The run's PostgreSQL database URL. */
export function pgDatabaseUrl(): string {
  const url = process.env['RSW_PG_URL'];
  if (!url) throw new Error('RSW_PG_URL is not set: run the specs with `npm test` (it creates a PostgreSQL database) or set it');
  return url;
}

/** A URL of a fresh, empty schema in the run's database (created by the server when it opens). */
export function freshPgUrl(): string {
  const u = new URL(pgDatabaseUrl());
  u.searchParams.set('schema', `rsw_${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 8)}`);
  return u.toString();
}

/** Do the server suites run on PostgreSQL in this process (the second pass of `npm test`)? */
export function serversOnPostgres(): boolean {
  return process.env['RSW_SERVER_BACKEND'] === 'postgres';
}

/** Count the `pg` queries sent while `run` runs (only those whose text `counted` accepts, default all). */
export async function queriesDuring<T>(run: () => Promise<T>, counted: (text: string) => boolean = () => true): Promise<{ result: T; queries: number }> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  let queries = 0;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const q = args[0] as string | { text?: string } | undefined;
    if (counted(String(typeof q === 'string' ? q : q?.text).trim())) queries++;
    return original.apply(this, args);
  };
  try {
    return { result: await run(), queries };
  } finally {
    proto.query = original;
  }
}
