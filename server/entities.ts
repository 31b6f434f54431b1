/**
 * The current-state entity tables: one SQLite table per table of the app's schema, created (and
 * widened with new columns) at start, and the prepared statements that write and read them.
 *
 * Every identifier comes from the parsed schema and goes through `quoteIdent`; every value is a
 * bound parameter. A change's own names are only used to LOOK UP the schema (after checkChange).
 */
import type { Database, Statement } from 'better-sqlite3';
import { quoteIdent, type ClientChange, type Row, type SchemaDeclaration, type TableSchema } from '../lib/protocol/index.js';

/** Most distinct (table, column set) update statements kept prepared before the cache is reset. */
const MAX_CACHED_UPDATES = 512;

/** Writes and reads the entity tables of one schema. */
export class EntityTables {
  private readonly inserts = new Map<string, Statement>();
  private readonly deletes = new Map<string, Statement>();
  private readonly selects = new Map<string, Statement>();
  private readonly updates = new Map<string, Statement>();

  constructor(
    private readonly db: Database,
    private readonly schema: SchemaDeclaration,
  ) {
    for (const [table, def] of Object.entries(schema)) {
      ensureTable(db, table, def);
      const t = quoteIdent(table);
      const pk = quoteIdent(def.primaryKey);
      const cols = Object.keys(def.columns);
      const others = cols.filter((c) => c !== def.primaryKey);
      // insert = the row becomes exactly `data` (missing columns NULL); last writer wins.
      const setAll = others.length > 0 ? `DO UPDATE SET ${others.map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`).join(', ')}` : 'DO NOTHING';
      this.inserts.set(
        table,
        db.prepare(`INSERT INTO ${t} (${cols.map(quoteIdent).join(', ')}) VALUES (${cols.map(() => '?').join(', ')}) ON CONFLICT(${pk}) ${setAll}`),
      );
      this.deletes.set(table, db.prepare(`DELETE FROM ${t} WHERE ${pk} = ?`));
      this.selects.set(table, db.prepare(`SELECT * FROM ${t} WHERE ${pk} = ?`));
    }
  }

  /**
   * Apply one change that already passed checkChange. Throws the SQLite error when a
   * constraint refuses it (the statement is atomic: nothing of it is written then).
   */
  apply(change: ClientChange): void {
    const def = this.schema[change.entity]!;
    if (change.op === 'delete') {
      this.deletes.get(change.entity)!.run(change.entity_id);
      return;
    }
    const data = change.data!;
    // The key comes from data when given (checkChange made sure it agrees), else from entity_id.
    const key = Object.prototype.hasOwnProperty.call(data, def.primaryKey) ? data[def.primaryKey] : change.entity_id;
    if (change.op === 'insert') {
      // Positional, in the schema's column order (cheaper than named parameters per row).
      const params: unknown[] = [];
      for (const col of Object.keys(def.columns)) params.push(col === def.primaryKey ? key : Object.prototype.hasOwnProperty.call(data, col) ? data[col] : null);
      this.inserts.get(change.entity)!.run(params);
      return;
    }
    // update: only the given columns; a missing row is created (upsert).
    const cols = Object.keys(data).filter((c) => c !== def.primaryKey).sort();
    const params: unknown[] = [key];
    for (const c of cols) params.push(data[c]);
    this.updateStatement(change.entity, def, cols).run(params);
  }

  /** The current row, or null when there is none (or the table is not in the schema). */
  current(entity: string, entityId: string): Row | null {
    const stmt = Object.prototype.hasOwnProperty.call(this.schema, entity) ? this.selects.get(entity) : undefined;
    if (!stmt) return null;
    return (stmt.get(entityId) as Row | undefined) ?? null;
  }

  private updateStatement(table: string, def: TableSchema, cols: string[]): Statement {
    const key = `${table}\u0000${cols.join('\u0000')}`;
    let stmt = this.updates.get(key);
    if (!stmt) {
      // Column sets are bounded by the schema, but 2^n of them could still pile up: reset when full.
      if (this.updates.size >= MAX_CACHED_UPDATES) this.updates.clear();
      const t = quoteIdent(table);
      const names = [def.primaryKey, ...cols].map(quoteIdent);
      const conflict = cols.length > 0 ? `DO UPDATE SET ${cols.map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`).join(', ')}` : 'DO NOTHING';
      stmt = this.db.prepare(`INSERT INTO ${t} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')}) ON CONFLICT(${quoteIdent(def.primaryKey)}) ${conflict}`);
      this.updates.set(key, stmt);
    }
    return stmt;
  }
}

/** Create the table if missing; add columns the schema gained since (never drops any). */
function ensureTable(db: Database, table: string, def: TableSchema): void {
  const colDefs = Object.entries(def.columns).map(([c, type]) =>
    c === def.primaryKey ? `${quoteIdent(c)} ${type} PRIMARY KEY NOT NULL` : `${quoteIdent(c)} ${type}`,
  );
  db.exec(`CREATE TABLE IF NOT EXISTS ${quoteIdent(table)} (${colDefs.join(', ')})`);
  const existing = new Set((db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map((r) => r.name));
  for (const [c, type] of Object.entries(def.columns)) {
    if (!existing.has(c)) db.exec(`ALTER TABLE ${quoteIdent(table)} ADD COLUMN ${quoteIdent(c)} ${type}`);
  }
}
