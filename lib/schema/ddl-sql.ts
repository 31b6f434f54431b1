/**
 * SQL text for the app's tables, shared by the client (sql.js) and the reference server
 * (better-sqlite3). Every name comes from a parsed schema and goes through `quoteIdent`; the only
 * literals are declared defaults (checked by parseSchema: finite numbers, text without NUL,
 * base64 bytes), written by {@link sqlLiteral}.
 */
import { quoteIdent, sqlType, type ColumnSpec, type IndexSpec, type TableSchema, type Value } from '../protocol/index.js';
import { fromBase64 } from './values.js';

/** How tables are created: the client clusters non-integer keys (WITHOUT ROWID); the server keeps rowid tables. */
export interface DdlStyle {
  readonly withoutRowid: boolean;
}

/** The scratch table a table copy goes through (a reserved name). */
export const REBUILD_TABLE = 'rsw_rebuild';

/** A declared default (wire form) as an SQL literal. */
export function sqlLiteral(spec: ColumnSpec, v: Value): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError('not a finite number');
    return String(v);
  }
  if (v.includes('\u0000')) throw new RangeError('text with NUL');
  if (spec.type === 'BLOB') return `X'${[...fromBase64(v)].map((b) => b.toString(16).padStart(2, '0')).join('')}'`;
  return `'${v.replace(/'/g, "''")}'`;
}

/** `"col" TYPE [PRIMARY KEY] [NOT NULL] [DEFAULT x]`. */
export function columnSql(name: string, spec: ColumnSpec, isKey: boolean): string {
  let sql = `${quoteIdent(name)} ${sqlType(spec.type)}`;
  if (isKey) sql += ' PRIMARY KEY';
  if (spec.notNull || isKey) sql += ' NOT NULL';
  if (spec.default !== undefined && spec.default !== null) sql += ` DEFAULT ${sqlLiteral(spec, spec.default)}`;
  return sql;
}

/** CREATE TABLE for `def` under the name `as`. */
export function createTableSql(as: string, def: TableSchema, style: DdlStyle): string {
  const cols = Object.entries(def.specs).map(([c, spec]) => columnSql(c, spec, c === def.primaryKey));
  // An INTEGER key is the rowid itself; any other key makes a clustered table (one b-tree, not two).
  const clustered = style.withoutRowid && def.columns[def.primaryKey] !== 'INTEGER' ? ' WITHOUT ROWID' : '';
  return `CREATE TABLE ${quoteIdent(as)} (${cols.join(', ')})${clustered}`;
}

/** CREATE [UNIQUE] INDEX IF NOT EXISTS. */
export function createIndexSql(name: string, table: string, ix: IndexSpec): string {
  return `CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${quoteIdent(name)} ON ${quoteIdent(table)} (${ix.columns.map(quoteIdent).join(', ')})`;
}

/** ALTER TABLE ADD COLUMN (SQLite needs a default for a NOT NULL column added this way). */
export function addColumnSql(table: string, column: string, spec: ColumnSpec): string {
  return `ALTER TABLE ${quoteIdent(table)} ADD COLUMN ${columnSql(column, spec, false)}`;
}

/**
 * Copy `table` into the shape `def` declares (a type, key, NOT NULL or default change, a dropped
 * column): create the scratch table, copy every column both have (converted to the new type),
 * fill new columns from `fill` or their default, swap the tables (the caller re-creates indexes).
 * A row that does not fit (a NOT NULL column left empty, a duplicate key) fails the whole copy.
 */
export function copyTableSql(table: string, def: TableSchema, existing: ReadonlyMap<string, string>, fill: ReadonlyMap<string, Value>, style: DdlStyle): string[] {
  const names: string[] = [];
  const exprs: string[] = [];
  for (const [col, spec] of Object.entries(def.specs)) {
    const old = existing.get(col.toLowerCase());
    if (old !== undefined) {
      names.push(quoteIdent(col));
      exprs.push(convertSql(quoteIdent(col), old, spec));
    } else if (fill.has(col)) {
      names.push(quoteIdent(col));
      exprs.push(sqlLiteral(spec, fill.get(col)!));
    }
  }
  const sql = [`DROP TABLE IF EXISTS ${quoteIdent(REBUILD_TABLE)}`, createTableSql(REBUILD_TABLE, def, style)];
  if (names.length > 0) sql.push(`INSERT INTO ${quoteIdent(REBUILD_TABLE)} (${names.join(', ')}) SELECT ${exprs.join(', ')} FROM ${quoteIdent(table)}`);
  sql.push(`DROP TABLE ${quoteIdent(table)}`, `ALTER TABLE ${quoteIdent(REBUILD_TABLE)} RENAME TO ${quoteIdent(table)}`);
  return sql;
}

/** The value of column `q` (stored as `oldType`) converted to `spec`'s type. */
function convertSql(q: string, oldType: string, spec: ColumnSpec): string {
  const target = sqlType(spec.type);
  if (oldType.toUpperCase() === target) return q;
  switch (spec.type) {
    case 'BOOLEAN':
      return `CASE WHEN ${q} IS NULL THEN NULL WHEN ${q} THEN 1 ELSE 0 END`;
    case 'JSON':
      // Text that is not JSON yet becomes a JSON string; numbers their JSON text.
      return `CASE WHEN ${q} IS NULL THEN NULL WHEN typeof(${q}) = 'text' AND json_valid(${q}) THEN ${q} ELSE json_quote(${q}) END`;
    case 'BLOB':
      return `CAST(${q} AS BLOB)`;
    case 'NUMERIC':
      return q;
    default:
      return `CAST(${q} AS ${target})`;
  }
}
