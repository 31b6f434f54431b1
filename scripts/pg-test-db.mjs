// A throwaway PostgreSQL database for one `npm test` run. PostgreSQL is part of the test
// environment (.ci/run installs and starts it): when it cannot be reached, the run FAILS.
//   RSW_PG_ADMIN_URL  where to create the database (default postgres://postgres@127.0.0.1:5432/postgres)
import pg from 'pg';

const ADMIN = process.env.RSW_PG_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** Create a fresh database; resolves with its URL. Throws when PostgreSQL is not reachable. */
export async function createTestDb() {
  const name = `rsw_test_${process.pid}_${Date.now().toString(36)}`;
  const c = new pg.Client({ connectionString: ADMIN, connectionTimeoutMillis: 10000 });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const u = new URL(ADMIN);
  u.pathname = `/${name}`;
  return { url: u.toString(), name };
}

/** Drop the database made by createTestDb (its connections are cut). */
export async function dropTestDb(name) {
  const c = new pg.Client({ connectionString: ADMIN, connectionTimeoutMillis: 10000 });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}
