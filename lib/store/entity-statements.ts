/**
 * Prepared statements for the entity tables, built once per table and operation and reused
 * (no SQL is parsed per change). Names come only from the declared schema, quoted.
 */
import type { Database, SqlValue, Statement } from 'sql.js';
import { SchemaError } from '../errors.js';
import { quoteIdent, type Row, type SchemaDeclaration, type TableSchema, type Value } from '../protocol/index.js';
import { fromSqlValue, toSqlValue } from '../schema/values.js';

/** Most patch statements kept per table (one per distinct set of updated columns). */
const MAX_PATCH_STATEMENTS = 64;

interface TableStatements {
  def: TableSchema;
  columns: string[];
  /** Per column (same order): what an insert without it writes (its declared default, or NULL). */
  defaults: Value[];
  /** Any BLOB column (base64 on the wire, bytes in SQLite)? */
  hasBlob: boolean;
  upsert: Statement;
  remove: Statement;
  select: Statement;
  patches: Map<string, Statement>;
}

/** The statement cache of all entity tables of one database. */
export class EntityStatements {
  private readonly tables = new Map<string, TableStatements>();

  constructor(
    private readonly db: Database,
    private readonly schema: SchemaDeclaration,
  ) {}

  /** Insert or replace the whole row (columns absent from `data` take their default, or NULL). */
  upsert(table: string, data: Row): void {
    const t = this.table(table);
    const params: SqlValue[] = new Array<SqlValue>(t.columns.length);
    for (let i = 0; i < t.columns.length; i++) {
      const col = t.columns[i]!;
      const v = Object.prototype.hasOwnProperty.call(data, col) ? (data[col] ?? null) : t.defaults[i]!;
      params[i] = t.hasBlob ? toSqlValue(t.def.specs[col], v) : v;
    }
    t.upsert.run(params);
  }

  /**
   * Set only the columns in `data` on row `id`; a missing row is created with them (the others
   * NULL), exactly as the server applies an update, so a replica never misses a row the server has.
   * Returns rows changed.
   */
  patch(table: string, id: string, data: Row): number {
    const t = this.table(table);
    const pk = t.def.primaryKey;
    const cols = Object.keys(data).filter((c) => c !== pk);
    const key = cols.join(',');
    let stmt = t.patches.get(key);
    if (!stmt) {
      for (const c of cols) {
        // Names reach SQL only if the schema declares them.
        if (!Object.prototype.hasOwnProperty.call(t.def.columns, c)) throw new SchemaError(`unknown column "${c.slice(0, 80)}" in "${table}"`, { entity: table });
      }
      if (t.patches.size >= MAX_PATCH_STATEMENTS) this.evictOldestPatch(t);
      const names = [pk, ...cols].map(quoteIdent);
      const conflict = cols.length > 0 ? `DO UPDATE SET ${cols.map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`).join(', ')}` : 'DO NOTHING';
      stmt = this.db.prepare(`INSERT INTO ${quoteIdent(table)} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')}) ON CONFLICT (${quoteIdent(pk)}) ${conflict}`);
      t.patches.set(key, stmt);
    }
    // The key comes from data when given (checkChange made sure it agrees), else from the id.
    const params: SqlValue[] = [Object.prototype.hasOwnProperty.call(data, pk) ? (data[pk] ?? null) : id];
    for (const c of cols) params.push(t.hasBlob ? toSqlValue(t.def.specs[c], data[c] ?? null) : (data[c] ?? null));
    stmt.run(params);
    return this.db.getRowsModified();
  }

  /** Delete row `id` (no-op if absent). */
  remove(table: string, id: string): void {
    this.table(table).remove.run([id]);
  }

  /** The current row `id` (wire values: BLOB as base64), or null. */
  get(table: string, id: string): Row | null {
    const t = this.table(table);
    const stmt = t.select;
    try {
      stmt.bind([id]);
      if (!stmt.step()) return null;
      const row = stmt.getAsObject() as Record<string, unknown>;
      if (t.hasBlob) for (const k of Object.keys(row)) row[k] = fromSqlValue(row[k]);
      return row as Row;
    } finally {
      stmt.reset();
    }
  }

  /** Free every statement (on close). */
  free(): void {
    for (const t of this.tables.values()) {
      t.upsert.free();
      t.remove.free();
      t.select.free();
      for (const s of t.patches.values()) s.free();
    }
    this.tables.clear();
  }

  private table(table: string): TableStatements {
    const cached = this.tables.get(table);
    if (cached) return cached;
    if (!Object.prototype.hasOwnProperty.call(this.schema, table)) throw new SchemaError(`unknown table "${table.slice(0, 80)}"`, { entity: table });
    const def = this.schema[table]!;
    const columns = Object.keys(def.columns);
    const q = quoteIdent(table);
    const pk = quoteIdent(def.primaryKey);
    const others = columns.filter((c) => c !== def.primaryKey);
    const onConflict = others.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${others.map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`).join(', ')}`;
    const t: TableStatements = {
      def,
      columns,
      defaults: columns.map((c) => def.specs[c]?.default ?? null),
      hasBlob: columns.some((c) => def.columns[c] === 'BLOB'),
      upsert: this.db.prepare(
        `INSERT INTO ${q} (${columns.map(quoteIdent).join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT (${pk}) ${onConflict}`,
      ),
      remove: this.db.prepare(`DELETE FROM ${q} WHERE ${pk} = ?`),
      select: this.db.prepare(`SELECT * FROM ${q} WHERE ${pk} = ?`),
      patches: new Map(),
    };
    this.tables.set(table, t);
    return t;
  }

  private evictOldestPatch(t: TableStatements): void {
    const first = t.patches.keys().next();
    if (first.done) return;
    t.patches.get(first.value)!.free();
    t.patches.delete(first.value);
  }
}
