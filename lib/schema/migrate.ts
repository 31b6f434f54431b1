/**
 * Bring a database's app tables to the declared schema: run the migrations newer than the
 * database's app schema version, step by step, then make sure every declared table, column and
 * index exists. The same code runs on the client (sql.js) and the server (better-sqlite3)
 * through {@link SqlRunner}; the caller owns the transaction and records the new version.
 */
import { SchemaError, StoreError } from '../errors.js';
import { ColumnType, RESERVED_TABLES, quoteIdent as q, sqlType, type ColumnSpec, type IndexSpec, type SchemaDeclaration, type TableSchema, type Value } from '../protocol/index.js';
import { addColumnSql, copyTableSql, createIndexSql, createTableSql, type DdlStyle } from './ddl-sql.js';
import { indexTable, type PlannedStep, type SchemaPlan } from './migrations.js';
import { toBase64, toSqlValue } from './values.js';

/** The two things the migrator needs of a database. */
export interface SqlRunner {
  run(sql: string, params?: readonly (Value | Uint8Array)[]): void;
  rows(sql: string, params?: readonly Value[]): unknown[][];
}

interface TableShape {
  /** Lower-cased name -> [declared name, SQL type]. */
  columns: Map<string, [string, string]>;
  pk: string | null;
  /** Declared name -> its spec as stored (type, NOT NULL, default). */
  specs: Map<string, ColumnSpec>;
}

/** The shape of `table`, or null when it does not exist. */
function shapeOf(db: SqlRunner, table: string): TableShape | null {
  const rows = db.rows('SELECT name, type, pk, "notnull", dflt_value FROM pragma_table_info(?)', [table]);
  if (rows.length === 0) return null;
  const columns = new Map<string, [string, string]>();
  const specs = new Map<string, ColumnSpec>();
  let pk: string | null = null;
  for (const [name, type, isPk, notNull, dflt] of rows) {
    const sql = String(type).toUpperCase();
    columns.set(String(name).toLowerCase(), [String(name), sql]);
    if (Number(isPk) === 1) pk = String(name);
    const value = typeof dflt === 'string' ? parseLiteral(dflt) : undefined;
    specs.set(String(name), { type: columnTypeOf(sql), notNull: Number(notNull) === 1 || Number(isPk) === 1, ...(value !== undefined && { default: value }) });
  }
  return { columns, pk, specs };
}

/** A default as SQLite reports it (the literal we wrote: number, 'text', X'hex', NULL) in wire form. */
function parseLiteral(sql: string): Value | undefined {
  if (/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(sql)) return Number(sql);
  if (sql.startsWith("'") && sql.endsWith("'")) return sql.slice(1, -1).replace(/''/g, "'");
  const hex = /^X'([0-9a-f]*)'$/i.exec(sql);
  if (hex) return toBase64(Uint8Array.from(hex[1]!.match(/../g) ?? [], (h) => parseInt(h, 16)));
  return undefined;
}

/** The declared type a stored SQL type stands for (NUMERIC when it is none of ours). */
export function columnTypeOf(sql: string): ColumnType {
  const upper = sql.toUpperCase();
  for (const t of Object.keys(ColumnType.keys) as ColumnType[]) if (sqlType(t) === upper) return t;
  return 'NUMERIC';
}

/**
 * The schema a database's app tables have NOW (every table that is not the library's own), as
 * read from SQLite: what journal operations written before a migration are replayed with.
 */
export function schemaFromDb(db: SqlRunner): SchemaDeclaration {
  const out: Record<string, TableSchema> = {};
  for (const [name] of db.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")) {
    const table = String(name);
    if (RESERVED_TABLES.has(table.toLowerCase())) continue;
    const shape = shapeOf(db, table);
    if (!shape || shape.pk === null) continue;
    const columns: Record<string, ColumnType> = {};
    const specs: Record<string, ColumnSpec> = {};
    for (const [colName, spec] of shape.specs) {
      columns[colName] = spec.type;
      specs[colName] = spec;
    }
    out[table] = { primaryKey: shape.pk, columns, specs, indexes: {} };
  }
  return out;
}

/** Is any declared table already in the database? */
function anyAppTable(db: SqlRunner, schema: SchemaDeclaration): boolean {
  return Object.keys(schema).some((t) => shapeOf(db, t) !== null);
}

/**
 * Migrate from `stored` (the version recorded with the data; null = none recorded: a new
 * database, or one from before versions existed, taken as version 1) to `plan.version`.
 * Returns the number of statements run (0: the database already matched). Throws SchemaError /
 * StoreError; the caller's transaction then rolls everything back.
 */
export function migrateTables(db: SqlRunner, schema: SchemaDeclaration, plan: SchemaPlan, stored: number | null, style: DdlStyle): number {
  const from = stored ?? (anyAppTable(db, schema) ? 1 : plan.version);
  if (from > plan.version) {
    throw new StoreError(`the database holds app schema version ${from}, newer than this app's ${plan.version}: update the app (versions only move forward)`);
  }
  if (from < plan.oldest) {
    throw new StoreError(`the database holds app schema version ${from}, but the migrations start after version ${plan.oldest}: keep the migrations from ${from + 1} on`);
  }
  let count = 0;
  const run = (sql: string, params?: readonly (Value | Uint8Array)[]) => {
    db.run(sql, params);
    count++;
  };
  for (const m of plan.migrations) {
    if (m.version <= from) continue;
    m.steps.forEach((step, i) => {
      try {
        runStep(db, schema, step, style, run);
      } catch (cause) {
        if (cause instanceof SchemaError) throw cause;
        throw new StoreError(`migration ${m.version}, step ${i} (${step.op}) failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
      }
    });
  }
  ensureTables(db, schema, style, run);
  return count;
}

type Run = (sql: string, params?: readonly (Value | Uint8Array)[]) => void;

function runStep(db: SqlRunner, schema: SchemaDeclaration, step: PlannedStep, style: DdlStyle, run: Run): void {
  switch (step.op) {
    case 'addTable': {
      const def = schema[step.table]!;
      if (shapeOf(db, step.table) !== null) return;
      run(createTableSql(step.table, def, style));
      for (const [name, ix] of Object.entries(def.indexes)) run(createIndexSql(name, step.table, ix));
      return;
    }
    case 'addColumn': {
      const def = schema[step.table]!;
      const spec = def.specs[step.column];
      const shape = shapeOf(db, step.table);
      if (!spec || !shape || shape.columns.has(step.column.toLowerCase())) return;
      if (spec.notNull && spec.default === undefined) {
        // ALTER TABLE cannot add a NOT NULL column without a default: copy the table, filling it in.
        const fill = new Map<string, Value>([[step.column, step.backfill ?? null]]);
        copyTable(db, run, step.table, interimDef(def, shape, step.column), shape, fill, style);
        return;
      }
      run(addColumnSql(step.table, step.column, spec));
      if (step.backfill !== undefined) run(`UPDATE ${q(step.table)} SET ${q(step.column)} = ?`, [toSqlValue(spec, step.backfill)]);
      return;
    }
    case 'dropColumn': {
      const shape = shapeOf(db, step.table);
      if (!shape || !shape.columns.has(step.column.toLowerCase())) return;
      copyTable(db, run, step.table, interimDef(schema[step.table]!, shape, null, step.column), shape, new Map(), style);
      return;
    }
    case 'changeType':
    case 'copyTable': {
      const shape = shapeOf(db, step.table);
      if (!shape) return;
      copyTable(db, run, step.table, interimDef(schema[step.table]!, shape, null), shape, new Map(), style);
      return;
    }
    case 'addIndex': {
      const table = indexTable(schema, step.index);
      if (table === null) return;
      const shape = shapeOf(db, table);
      const ix = schema[table]!.indexes[step.index]!;
      if (shape && ix.columns.every((c) => shape.columns.has(c.toLowerCase()))) run(createIndexSql(step.index, table, ix));
      return;
    }
    case 'dropIndex': {
      const owner = db.rows("SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND name = ?", [step.index])[0]?.[0];
      // Only an index of an app table: the library's own indexes are not the app's to drop.
      if (typeof owner === 'string' && !RESERVED_TABLES.has(owner.toLowerCase())) run(`DROP INDEX ${q(step.index)}`);
      return;
    }
  }
}

/**
 * The shape a table copy produces at this point of the migrations: the columns the table has now
 * (declared ones as declared, others as they are), plus `add`, minus `drop`; the declared indexes
 * whose columns are all there.
 */
function interimDef(def: TableSchema, shape: TableShape, add: string | null, drop?: string): TableSchema {
  const columns: Record<string, ColumnType> = {};
  const specs: Record<string, ColumnSpec> = {};
  for (const [lower, [name, type]] of shape.columns) {
    if (drop !== undefined && lower === drop.toLowerCase()) continue;
    const declared = Object.keys(def.specs).find((c) => c.toLowerCase() === lower);
    const spec = declared !== undefined ? def.specs[declared]! : (shape.specs.get(name) ?? { type: columnTypeOf(type), notNull: false });
    const key = declared ?? name;
    columns[key] = spec.type;
    specs[key] = spec;
  }
  if (add !== null) {
    columns[add] = def.specs[add]!.type;
    specs[add] = def.specs[add]!;
  }
  const primaryKey = Object.prototype.hasOwnProperty.call(specs, def.primaryKey) ? def.primaryKey : (shape.pk ?? def.primaryKey);
  const indexes: Record<string, IndexSpec> = {};
  for (const [name, ix] of Object.entries(def.indexes)) if (ix.columns.every((c) => Object.prototype.hasOwnProperty.call(specs, c))) indexes[name] = ix;
  return { primaryKey, columns, specs, indexes };
}

/**
 * Copy `table` into the shape `def` (see copyTableSql), then re-create the indexes it had whose
 * columns all survive, from their own SQL text (new indexes come with their own step, or at the end).
 */
function copyTable(db: SqlRunner, run: Run, table: string, def: TableSchema, shape: TableShape, fill: ReadonlyMap<string, Value>, style: DdlStyle): void {
  const kept = db
    .rows("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", [table])
    .filter(([name]) => db.rows('SELECT name FROM pragma_index_info(?)', [String(name)]).every(([c]) => Object.keys(def.specs).some((k) => k.toLowerCase() === String(c).toLowerCase())))
    .map(([, sql]) => String(sql));
  for (const sql of copyTableSql(table, def, typesOf(shape), fill, style)) run(sql);
  for (const sql of kept) run(sql);
}

function typesOf(shape: TableShape): Map<string, string> {
  return new Map([...shape.columns].map(([lower, [, type]]) => [lower, type]));
}

/** Create missing tables, columns and indexes; refuse what only a migration can change. */
function ensureTables(db: SqlRunner, schema: SchemaDeclaration, style: DdlStyle, run: Run): void {
  for (const [table, def] of Object.entries(schema)) {
    const shape = shapeOf(db, table);
    if (shape === null) {
      run(createTableSql(table, def, style));
    } else {
      if (shape.pk !== null && shape.pk.toLowerCase() !== def.primaryKey.toLowerCase()) {
        throw new SchemaError(`the primary key of "${table}" is "${shape.pk}" in the database but "${def.primaryKey}" in the schema: add a { op: 'copyTable', table: '${table}' } migration`, { entity: table, path: `${table}.primaryKey` });
      }
      for (const [col, spec] of Object.entries(def.specs)) {
        const existing = shape.columns.get(col.toLowerCase());
        if (existing === undefined) {
          if (spec.notNull && spec.default === undefined) {
            throw new SchemaError(`"${table}.${col}" is NOT NULL without a default: add it with an addColumn migration that has a backfill`, { entity: table, path: `${table}.columns.${col}` });
          }
          // A column declared later without a migration: added (its default, or NULL, in existing rows).
          run(addColumnSql(table, col, spec));
        } else if (existing[1] !== sqlType(spec.type)) {
          throw new SchemaError(`"${table}.${col}" is ${existing[1]} in the database but ${spec.type} in the schema: add a { op: 'changeType', table: '${table}', column: '${col}' } migration`, { entity: table, path: `${table}.columns.${col}.type` });
        }
      }
    }
    for (const [name, ix] of Object.entries(def.indexes)) {
      const exists = db.rows("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", [name]).length > 0;
      if (!exists) run(createIndexSql(name, table, ix));
    }
  }
}
