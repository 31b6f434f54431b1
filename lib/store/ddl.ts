/**
 * Entity tables from the app's declared schema. Every name comes out of a schema that passed
 * `parseSchema` and is quoted with `quoteIdent`; nothing from a message ever reaches DDL.
 */
import type { Database } from 'sql.js';
import { quoteIdent, type SchemaDeclaration } from '../protocol/index.js';

/**
 * Create missing entity tables and add missing declared columns (`ALTER TABLE ADD COLUMN`).
 * Returns the number of DDL statements run (0 = the database already matched). Columns the
 * schema no longer declares are left in place (data is never dropped implicitly).
 */
export function ensureEntityTables(db: Database, schema: SchemaDeclaration): number {
  let changed = 0;
  for (const [table, def] of Object.entries(schema)) {
    const existing = existingColumns(db, table);
    if (existing === null) {
      const cols = Object.entries(def.columns).map(([col, type]) =>
        col === def.primaryKey ? `${quoteIdent(col)} ${type} PRIMARY KEY NOT NULL` : `${quoteIdent(col)} ${type}`,
      );
      // An INTEGER key is the rowid itself; any other key makes a clustered table (one b-tree, not two).
      const clustered = def.columns[def.primaryKey] === 'INTEGER' ? '' : ' WITHOUT ROWID';
      db.run(`CREATE TABLE ${quoteIdent(table)} (${cols.join(', ')})${clustered}`);
      changed++;
      continue;
    }
    for (const [col, type] of Object.entries(def.columns)) {
      // A column added to the declaration later: add it (NULL in existing rows).
      if (!existing.has(col.toLowerCase())) {
        db.run(`ALTER TABLE ${quoteIdent(table)} ADD COLUMN ${quoteIdent(col)} ${type}`);
        changed++;
      }
    }
  }
  return changed;
}

/** Lower-cased column names of `table`, or null if it does not exist. */
function existingColumns(db: Database, table: string): Set<string> | null {
  const stmt = db.prepare("SELECT name FROM pragma_table_info(?)");
  try {
    stmt.bind([table]);
    const names = new Set<string>();
    while (stmt.step()) names.add(String(stmt.get()[0]).toLowerCase());
    return names.size === 0 ? null : names;
  } finally {
    stmt.free();
  }
}
