/**
 * Entity tables from the app's declared schema, brought to its version by its migrations (see
 * lib/schema/migrate.ts). Every name comes out of a schema that passed `parseSchema` and is
 * quoted with `quoteIdent`; nothing from a message ever reaches DDL.
 */
import type { Database, SqlValue } from 'sql.js';
import type { SchemaDeclaration } from '../protocol/index.js';
import { migrateTables, parseSchemaPlan, type SchemaPlan, type SqlRunner } from '../schema/index.js';

/** `sync_state` key of the app schema version the entity tables have. */
export const APP_SCHEMA_VERSION_KEY = 'app_schema_version';

/** sql.js as the migrator's {@link SqlRunner}. */
export function sqlJsRunner(db: Database): SqlRunner {
  return {
    run: (sql, params) => void db.run(sql, params as SqlValue[] | undefined),
    rows: (sql, params) => db.exec(sql, params as SqlValue[] | undefined)[0]?.values ?? [],
  };
}

/**
 * Run the app migrations newer than the stored version, create missing tables, columns and
 * indexes, and record `plan.version` (call inside ONE transaction). Returns the number of
 * statements run (0 = the database already matched). Columns the schema no longer declares are
 * left in place unless a migration drops them (data is never dropped implicitly).
 */
export function ensureEntityTables(db: Database, schema: SchemaDeclaration, plan: SchemaPlan = parseSchemaPlan(schema)): number {
  const runner = sqlJsRunner(db);
  // Without the store's tables (a bare database, e.g. a benchmark's) there is no version to keep.
  const hasState = runner.rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_state'").length > 0;
  const stored = hasState ? runner.rows('SELECT value FROM sync_state WHERE key = ?', [APP_SCHEMA_VERSION_KEY])[0]?.[0] : undefined;
  const storedVersion = typeof stored === 'number' ? stored : null;
  let changed = migrateTables(runner, schema, plan, storedVersion, { withoutRowid: true });
  if (hasState && storedVersion !== plan.version) {
    db.run('INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [APP_SCHEMA_VERSION_KEY, plan.version]);
    changed++;
  }
  return changed;
}
