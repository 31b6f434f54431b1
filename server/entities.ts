/**
 * The current-state entity tables: one SQLite table per table of the app's schema, created (and
 * widened with new columns) at start, and the prepared statements that write and read them.
 *
 * Every identifier comes from the parsed schema and goes through `quoteIdent`; every value is a
 * bound parameter. A change's own names are only used to LOOK UP the schema (after checkChange).
 */
import type { Database, Statement } from 'better-sqlite3';
import { quoteIdent, type ClientChange, type Row, type SchemaDeclaration, type TableSchema, type Value } from '../lib/protocol/index.js';
import { fromSqlValue, migrateTables, parseSchemaPlan, toSqlValue, type SchemaPlan, type SqlRunner } from '../lib/schema/index.js';

/** Most distinct (table, column set) update statements kept prepared before the cache is reset. */
const MAX_CACHED_UPDATES = 512;

/** One column as an insert binds it (worked out once per table, not per change). */
interface InsertColumn {
  readonly name: string;
  readonly isKey: boolean;
  readonly blob: boolean;
  /** Bound when the insert does not give the column. */
  readonly missing: unknown;
}

/** Writes and reads the entity tables of one schema. */
export class EntityTables {
  private readonly inserts = new Map<string, Statement>();
  /** Per table, its columns in the insert statement's order. */
  private readonly insertColumns = new Map<string, readonly InsertColumn[]>();
  private readonly deletes = new Map<string, Statement>();
  private readonly selects = new Map<string, Statement>();
  /** Per table: its rows for a JSON array of ids, in raw mode (column 0: the id as asked). */
  private readonly selectMany = new Map<string, Statement>();
  private readonly updates = new Map<string, Statement>();
  private readonly wheres = new Map<string, Statement>();

  constructor(
    private readonly db: Database,
    private readonly schema: SchemaDeclaration,
  ) {
    for (const [table, def] of Object.entries(schema)) {
      const t = quoteIdent(table);
      const pk = quoteIdent(def.primaryKey);
      const cols = Object.keys(def.columns);
      const others = cols.filter((c) => c !== def.primaryKey);
      // insert = the row becomes exactly `data` (missing columns: their default, or NULL); last writer wins.
      const setAll = others.length > 0 ? `DO UPDATE SET ${others.map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`).join(', ')}` : 'DO NOTHING';
      this.inserts.set(
        table,
        db.prepare(`INSERT INTO ${t} (${cols.map(quoteIdent).join(', ')}) VALUES (${cols.map(() => '?').join(', ')}) ON CONFLICT(${pk}) ${setAll}`),
      );
      this.insertColumns.set(
        table,
        cols.map((c) => ({ name: c, isKey: c === def.primaryKey, blob: def.specs[c]!.type === 'BLOB', missing: bindable(def.specs[c]!.type, def.specs[c]!.default ?? null) })),
      );
      this.deletes.set(table, db.prepare(`DELETE FROM ${t} WHERE ${pk} = ?`));
      this.selects.set(table, db.prepare(`SELECT * FROM ${t} WHERE ${pk} = ?`));
      // The ids go as ONE bound JSON array; `${pk} = k.value` compares as `${pk} = ?` does (the column's affinity).
      this.selectMany.set(table, db.prepare(`SELECT k.value, t.* FROM json_each(?) k CROSS JOIN ${t} t ON t.${pk} = k.value`).raw());
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
      const columns = this.insertColumns.get(change.entity)!;
      const params: unknown[] = new Array(columns.length);
      for (let i = 0; i < columns.length; i++) {
        const c = columns[i]!;
        if (c.isKey) params[i] = key;
        else if (!Object.prototype.hasOwnProperty.call(data, c.name)) params[i] = c.missing;
        else params[i] = c.blob ? bindable('BLOB', data[c.name] ?? null) : (data[c.name] ?? null);
      }
      this.inserts.get(change.entity)!.run(params);
      return;
    }
    // update: only the given columns; a missing row is created (upsert).
    const cols = Object.keys(data).filter((c) => c !== def.primaryKey).sort();
    const params: unknown[] = [key];
    for (const c of cols) params.push(bindable(def.columns[c]!, data[c] ?? null));
    this.updateStatement(change.entity, def, cols).run(params);
  }

  /** The current row, or null when there is none (or the table is not in the schema). */
  current(entity: string, entityId: string): Row | null {
    const stmt = Object.prototype.hasOwnProperty.call(this.schema, entity) ? this.selects.get(entity) : undefined;
    if (!stmt) return null;
    const row = stmt.get(entityId) as Record<string, unknown> | undefined;
    return row ? toRow(row) : null;
  }

  /**
   * The current rows of many ids of one table, by the id as given (absent: no such row, or the
   * table is not in the schema). One statement instead of one lookup per id (snapshot pages).
   */
  currentMany(entity: string, ids: readonly string[]): Map<string, Row> {
    const out = new Map<string, Row>();
    const stmt = Object.prototype.hasOwnProperty.call(this.schema, entity) ? this.selectMany.get(entity) : undefined;
    if (!stmt || ids.length === 0) return out;
    const names = stmt.columns().map((c) => c.name);
    for (const values of stmt.all(JSON.stringify(ids)) as unknown[][]) {
      const row: Row = {};
      for (let i = 1; i < values.length; i++) {
        const v = values[i];
        row[names[i]!] = v instanceof Uint8Array ? fromSqlValue(v) : (v as Row[string]);
      }
      out.set(values[0] as string, row);
    }
    return out;
  }

  /** Rows whose `column` equals `value` (both checked against the schema; unknown = none). */
  where(entity: string, column: string, value: unknown): Row[] {
    const def = Object.prototype.hasOwnProperty.call(this.schema, entity) ? this.schema[entity] : undefined;
    if (!def || !Object.prototype.hasOwnProperty.call(def.columns, column)) return [];
    const key = `${entity}\u0000${column}`;
    let stmt = this.wheres.get(key);
    if (!stmt) {
      stmt = this.db.prepare(`SELECT * FROM ${quoteIdent(entity)} WHERE ${quoteIdent(column)} = ?`);
      this.wheres.set(key, stmt);
    }
    const bound = value === null || value === undefined ? null : typeof value === 'boolean' ? Number(value) : value;
    return (stmt.all(bound) as Record<string, unknown>[]).map(toRow);
  }

  /**
   * Every row of `entity`, in rowid pages of 512 (no cursor stays open between pages, so the
   * caller may run other statements, such as access rules reading rows, while it iterates).
   */
  *scan(entity: string): IterableIterator<Row> {
    if (!Object.prototype.hasOwnProperty.call(this.schema, entity)) return;
    const page = this.db.prepare(`SELECT rowid AS rsw_rowid, * FROM ${quoteIdent(entity)} WHERE rowid > ? ORDER BY rowid LIMIT 512`);
    for (let after = 0; ; ) {
      const rows = page.all(after) as Record<string, unknown>[];
      for (const row of rows) {
        after = row.rsw_rowid as number;
        delete row.rsw_rowid;
        yield toRow(row);
      }
      if (rows.length < 512) return;
    }
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

/** `server_meta` key of the app schema version the entity tables have. */
const APP_SCHEMA_VERSION_KEY = 'app_schema_version';

/**
 * Bring the entity tables to `plan.version` in ONE transaction (the same migrations the clients
 * run, see lib/schema/migrate.ts): run the newer migrations, create missing tables, columns and
 * indexes, record the version. A failure rolls everything back and throws.
 */
export function migrateEntityTables(db: Database, schema: SchemaDeclaration, plan: SchemaPlan = parseSchemaPlan(schema)): number {
  const runner: SqlRunner = {
    run: (sql, params = []) => void db.prepare(sql).run(...params.map((p) => (p instanceof Uint8Array ? Buffer.from(p) : p))),
    rows: (sql, params = []) => db.prepare(sql).raw().all(...params) as unknown[][],
  };
  return db.transaction(() => {
    const stored = db.prepare('SELECT value FROM server_meta WHERE key = ?').pluck().get(APP_SCHEMA_VERSION_KEY) as string | undefined;
    const n = migrateTables(runner, schema, plan, stored === undefined ? null : Number(stored), { withoutRowid: false });
    db.prepare('INSERT INTO server_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(APP_SCHEMA_VERSION_KEY, String(plan.version));
    return n;
  })();
}

/** A row as read from SQLite, in its wire form (BLOB bytes become base64 text). */
function toRow(row: Record<string, unknown>): Row {
  for (const k of Object.keys(row)) if (row[k] instanceof Uint8Array) row[k] = fromSqlValue(row[k]);
  return row as Row;
}

/** A wire value as better-sqlite3 binds it (BLOB: bytes). */
function bindable(type: string, v: Value): unknown {
  const sql = type === 'BLOB' ? toSqlValue({ type: 'BLOB', notNull: false }, v) : v;
  return sql instanceof Uint8Array ? Buffer.from(sql.buffer, sql.byteOffset, sql.byteLength) : sql;
}

/**
 * An insert from a client on an OLDER schema version, made safe for the newest one: the columns
 * that version does not know are not the client's to erase, so they keep the row's current
 * values (a new row: their defaults), and the change is logged with them, so every newer replica
 * applies the same row. Columns the client knows but the schema dropped since are left out.
 * `known` = the table's columns at the client's version (null: the client knows the newest schema).
 */
export function fillForOlderClient(change: ClientChange, def: TableSchema | undefined, known: ReadonlySet<string> | null | undefined, current: Row | null): ClientChange {
  if (!def || !known || change.data === null) return change;
  let data: Row | null = null;
  for (const col of Object.keys(change.data)) {
    if (Object.prototype.hasOwnProperty.call(def.columns, col) || !known.has(col)) continue;
    data ??= { ...change.data };
    delete data[col];
  }
  if (change.op === 'insert' && current !== null) {
    for (const col of Object.keys(def.columns)) {
      if (known.has(col) || Object.prototype.hasOwnProperty.call(change.data, col) || !Object.prototype.hasOwnProperty.call(current, col)) continue;
      data ??= { ...change.data };
      data[col] = current[col] ?? null;
    }
  }
  return data === null ? change : { ...change, data };
}
