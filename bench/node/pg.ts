/**
 * PostgreSQL for the bench: `RSW_PG_URL` names a database, else a throwaway one is created at
 * `RSW_PG_ADMIN_URL` (default postgres://postgres@127.0.0.1:5432/postgres) and dropped at the end.
 * Each bench server gets a fresh schema in it.
 */
import pg from 'pg';

const ADMIN = process.env['RSW_PG_ADMIN_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';

/** The bench's database. */
export interface BenchPg {
  /** A URL of a fresh schema. */
  fresh(): string;
  /** Drop the throwaway database (if one was made). */
  close(): Promise<void>;
}

let counter = 0;

/** Find or make the bench database. */
export async function benchPg(): Promise<BenchPg> {
  let url = process.env['RSW_PG_URL'];
  let made: string | null = null;
  if (!url) {
    made = `rsw_bench_${process.pid}_${Date.now().toString(36)}`;
    const c = new pg.Client({ connectionString: ADMIN });
    await c.connect();
    await c.query(`CREATE DATABASE ${made}`).finally(() => c.end());
    const u = new URL(ADMIN);
    u.pathname = `/${made}`;
    url = u.toString();
  }
  const base = url;
  return {
    fresh: () => {
      const u = new URL(base);
      u.searchParams.set('schema', `bench_${++counter}`);
      return u.toString();
    },
    close: async () => {
      if (made === null) return;
      const c = new pg.Client({ connectionString: ADMIN });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${made} WITH (FORCE)`).finally(() => c.end());
    },
  };
}
