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
/** Rows per multi-row upsert, and most values bound in one (well under SQLite's variable limit). */
const ROWS_PER_UPSERT = 32;
const MAX_VALUES_PER_UPSERT = 999;

interface TableStatements {
  def: TableSchema;
  columns: string[];
  /** Per column (same order): what an insert without it writes (its declared default, or NULL). */
  defaults: Value[];
  /** Any BLOB column (base64 on the wire, bytes in SQLite)? */
  hasBlob: boolean;
  upsert: Statement;
  /** The multi-row upsert of {@link TableStatements.perUpsert} rows, made on first use. */
  upsertMany: Statement | null;
  perUpsert: number;
  /** The upsert's SQL up to VALUES, and its conflict clause (the multi-row form reuses them). */
  upsertHead: string;
  upsertTail: string;
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
    fillRow(t, data, params, 0);
    t.upsert.run(params);
  }

  /**
   * {@link upsert} of each row, in order, several rows per statement (SQLite applies the rows of
   * one `INSERT ... VALUES (...), (...) ON CONFLICT DO UPDATE` one after the other, so a key twice
   * in `rows` ends with its last row, as one statement per row would).
   */
  upsertMany(table: string, rows: readonly Row[]): void {
    const t = this.table(table);
    const per = t.perUpsert;
    let i = 0;
    if (rows.length >= per && per > 1) {
      const stmt = (t.upsertMany ??= this.db.prepare(`${t.upsertHead} ${Array.from({ length: per }, () => `(${t.columns.map(() => '?').join(', ')})`).join(', ')} ${t.upsertTail}`));
      const width = t.columns.length;
      for (; i + per <= rows.length; i += per) {
        const params: SqlValue[] = new Array<SqlValue>(per * width);
        for (let k = 0; k < per; k++) fillRow(t, rows[i + k]!, params, k * width);
        stmt.run(params);
      }
    }
    for (; i < rows.length; i++) this.upsert(table, rows[i]!);
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
      t.upsertMany?.free();
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
    const upsertHead = `INSERT INTO ${q} (${columns.map(quoteIdent).join(', ')}) VALUES`;
    const upsertTail = `ON CONFLICT (${pk}) ${onConflict}`;
    const t: TableStatements = {
      def,
      columns,
      defaults: columns.map((c) => def.specs[c]?.default ?? null),
      hasBlob: columns.some((c) => def.columns[c] === 'BLOB'),
      upsert: this.db.prepare(`${upsertHead} (${columns.map(() => '?').join(', ')}) ${upsertTail}`),
      upsertMany: null,
      perUpsert: Math.max(1, Math.min(ROWS_PER_UPSERT, Math.floor(MAX_VALUES_PER_UPSERT / columns.length))),
      upsertHead,
      upsertTail,
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

/** Bind one row's values at `params[at..]`: given columns, else the declared default (BLOB: base64 -> bytes). */
function fillRow(t: TableStatements, data: Row, params: SqlValue[], at: number): void {
  for (let i = 0; i < t.columns.length; i++) {
    const col = t.columns[i]!;
    const v = Object.prototype.hasOwnProperty.call(data, col) ? (data[col] ?? null) : t.defaults[i]!;
    params[at + i] = t.hasBlob ? toSqlValue(t.def.specs[col], v) : v;
  }
}
