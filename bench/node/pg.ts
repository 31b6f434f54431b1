/**
 * PostgreSQL for the bench: `RSW_PG_URL` names a database, else a throwaway one is created at
 * `RSW_PG_ADMIN_URL` (default postgres://postgres@127.0.0.1:5432/postgres) and dropped at the end.
 * Each bench server gets a fresh schema in it, named after this run (pid and start time), so runs
 * on one long-lived database never meet an earlier run's tables; `close()` drops this run's schemas.
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
  const run = `bench_${process.pid}_${Date.now().toString(36)}`;
  const schemas: string[] = [];
  return {
    fresh: () => {
      const u = new URL(base);
      schemas.push(`${run}_${++counter}`);
      u.searchParams.set('schema', schemas[schemas.length - 1]!);
      return u.toString();
    },
    close: async () => {
      const c = new pg.Client({ connectionString: made === null ? base.replace(/\?.*$/, '') : ADMIN });
      await c.connect();
      try {
        if (made !== null) await c.query(`DROP DATABASE IF EXISTS ${made} WITH (FORCE)`);
        else for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}
