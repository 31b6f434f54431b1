/**
 * The app's schema declaration (codec in schema-codec.ts) and the checks that keep every name
 * inside it (those of values and changes in schema-checks.ts).
 *
 * A table or column that the schema does not declare can never reach SQL: every change coming
 * from the app or the server passes {@link checkChange} first, and SQL is only ever built from
 * names taken out of the (checked) schema itself.
 */
import type * as t from 'io-ts';
import { isLeft } from './either.js';
import { SchemaError } from '../errors.js';
import { isIdentifier, type Row, type Value } from './primitives.js';
import {
  SchemaDeclaration, type ColumnSpec, type ColumnType, type IndexSpec, type SchemaDeclaration as Schema, type TableSchema,
} from './schema-codec.js';
import { valueFits, type ChangeShape } from './schema-checks.js';

export * from './schema-codec.js';
export * from './schema-checks.js';

/** Names the library keeps for itself (tables; `rsw_rebuild` is the scratch table of a table copy). */
export const RESERVED_TABLES: ReadonlySet<string> = new Set([
  'local_changes', 'sync_state', 'schema_migrations', 'change_log', 'clients', 'server_meta', 'rsw_rebuild', 'quarantined_changes',
  'local_changes_counts', 'rsw_row_versions', 'rsw_change_log', 'rsw_clients', 'rsw_server_meta',
]);
/** Most columns in one index. */
export const MAX_INDEX_COLUMNS = 16;
/** Types a primary key may have (its value is the row's `entity_id` text). */
const KEY_TYPES: ReadonlySet<ColumnType> = new Set<ColumnType>(['TEXT', 'INTEGER', 'REAL', 'NUMERIC']);

const parsed = new WeakSet<object>();

/**
 * Check a schema declaration: strict shape (an unknown key is an error naming its path), the
 * identifier pattern, a primary key among the columns, defaults that fit their types, indexes on
 * declared columns with names unique in the database, no reserved names. Returns the normalised
 * schema or throws SchemaError (with `path`, e.g. `todos.columns.done.notnull`).
 */
export function parseSchema(input: unknown): Schema {
  if (typeof input === 'object' && input !== null && parsed.has(input)) return input as Schema;
  refuseCompositeKeys(input);
  const decoded = SchemaDeclaration.decode(input);
  if (isLeft(decoded)) {
    const first = deepest(decoded.left);
    const path = first ? declarationPath(first.context) : '';
    throw new SchemaError(`invalid schema declaration at "${path}": ${first?.message ?? describeExpected(first)}`, { path });
  }
  const tables = Object.keys(decoded.right);
  if (tables.length === 0) throw new SchemaError('schema declares no tables');
  const out: Record<string, TableSchema> = {};
  const indexOwners = new Map<string, string>();
  for (const table of tables) {
    if (RESERVED_TABLES.has(table.toLowerCase())) throw new SchemaError(`table name "${table}" is reserved`, { entity: table, path: table });
    const def = decoded.right[table]!;
    if (!Object.prototype.hasOwnProperty.call(def.columns, def.primaryKey)) {
      throw new SchemaError(`primary key "${def.primaryKey}" of "${table}" is not one of its columns`, { entity: table, path: `${table}.primaryKey` });
    }
    const columns: Record<string, ColumnType> = {};
    const specs: Record<string, ColumnSpec> = {};
    for (const [col, c] of Object.entries(def.columns)) {
      const spec = normaliseColumn(table, col, c, col === def.primaryKey);
      columns[col] = spec.type;
      specs[col] = spec;
    }
    const indexes: Record<string, IndexSpec> = {};
    for (const [name, ix] of Object.entries(def.indexes ?? {})) {
      const path = `${table}.indexes.${name}`;
      const lower = name.toLowerCase();
      if (lower.startsWith('local_changes') || RESERVED_TABLES.has(lower)) throw new SchemaError(`index name "${name}" is reserved`, { entity: table, path });
      const owner = indexOwners.get(lower) ?? (tables.some((tb) => tb.toLowerCase() === lower) ? 'a table' : undefined);
      if (owner !== undefined) throw new SchemaError(`index name "${name}" is already used by ${owner} (index names are shared by the whole database)`, { entity: table, path });
      indexOwners.set(lower, `"${table}"`);
      if (ix.columns.length === 0 || ix.columns.length > MAX_INDEX_COLUMNS) throw new SchemaError(`index "${name}" needs 1 to ${MAX_INDEX_COLUMNS} columns`, { entity: table, path: `${path}.columns` });
      ix.columns.forEach((col, i) => {
        if (!Object.prototype.hasOwnProperty.call(columns, col)) throw new SchemaError(`index "${name}" names "${col}", which is not a column of "${table}"`, { entity: table, path: `${path}.columns.${i}` });
        if (ix.columns.indexOf(col) !== i) throw new SchemaError(`index "${name}" names "${col}" twice`, { entity: table, path: `${path}.columns.${i}` });
      });
      indexes[name] = { columns: [...ix.columns], unique: ix.unique ?? false };
    }
    out[table] = { primaryKey: def.primaryKey, columns, specs, indexes };
  }
  parsed.add(out);
  return out;
}

function normaliseColumn(table: string, col: string, c: ColumnType | { type: ColumnType; notNull?: boolean; default?: unknown }, isKey: boolean): ColumnSpec {
  const path = `${table}.columns.${col}`;
  const long = typeof c === 'object';
  const type = long ? c.type : c;
  if (isKey && !KEY_TYPES.has(type)) throw new SchemaError(`primary key "${col}" of "${table}" cannot be ${type} (use TEXT, INTEGER, REAL or NUMERIC)`, { entity: table, path: `${path}.type` });
  const notNull = isKey || (long && c.notNull === true);
  if (!long || c.default === undefined || c.default === null) return { type, notNull };
  if (isKey) throw new SchemaError(`primary key "${col}" of "${table}" cannot have a default`, { entity: table, path: `${path}.default` });
  const value = defaultToWire(type, c.default);
  if (value === undefined || !valueFits(type, value) || (typeof value === 'string' && value.includes('\u0000'))) {
    throw new SchemaError(`default of "${table}.${col}" is not a ${type} value`, { entity: table, path: `${path}.default` });
  }
  return { type, notNull, default: value };
}

/** A declared default in wire form (BOOLEAN 0/1, JSON text, BLOB base64); undefined if it cannot be one. */
function defaultToWire(type: ColumnType, u: unknown): Value | undefined {
  if (type === 'BOOLEAN') return u === true || u === 1 ? 1 : u === false || u === 0 ? 0 : undefined;
  if (type === 'JSON') {
    try {
      return JSON.stringify(u); // undefined for a function: refused by the caller
    } catch {
      return undefined; // circular
    }
  }
  return typeof u === 'string' || (typeof u === 'number' && Number.isFinite(u)) ? u : undefined;
}

function refuseCompositeKeys(input: unknown): void {
  if (typeof input !== 'object' || input === null) return;
  for (const [table, def] of Object.entries(input)) {
    if (typeof def === 'object' && def !== null && Array.isArray((def as { primaryKey?: unknown }).primaryKey)) {
      throw new SchemaError(
        `"${table.slice(0, 80)}" declares a composite primary key: not supported (a row travels under ONE key, its entity_id). ` +
          'Declare one TEXT key made of the parts (e.g. `${a}:${b}`) and a unique index on the parts (see README "Composite primary keys")',
        { entity: table, path: `${table.slice(0, 80)}.primaryKey` },
      );
    }
  }
}

/** The most specific io-ts error: the one deepest in the declaration (unions report every member). */
function deepest(errors: t.Errors): t.ValidationError | undefined {
  let best: t.ValidationError | undefined;
  for (const e of errors) if (!best || declarationPath(e.context).length > declarationPath(best.context).length) best = e;
  return best;
}

/** The data path of an io-ts context, without the member indexes of unions and intersections. */
export function declarationPath(context: t.Context): string {
  const keys: string[] = [];
  for (let i = 1; i < context.length; i++) {
    const parentTag = (context[i - 1]!.type as { _tag?: string })._tag;
    if (parentTag === 'UnionType' || parentTag === 'IntersectionType') continue;
    if (context[i]!.key !== '') keys.push(context[i]!.key);
  }
  return keys.join('.');
}

function describeExpected(e: t.ValidationError | undefined): string {
  const leaf = e?.context[e.context.length - 1];
  return leaf ? `expected ${leaf.type.name}` : 'expected { table: { primaryKey, columns, indexes? } }';
}

/**
 * A server change as an OLDER schema sees it (a newer server may send tables and columns this
 * client does not know yet): null when its table is unknown (skip it), else the change without
 * the unknown columns (see {@link projectRow}). `dropped` names what was left out (`table`,
 * `table.column`, `table.column (value is not TYPE)`), for the log.
 */
export function projectChange<C extends ChangeShape>(schema: Schema, change: C, dropped: string[]): C | null {
  if (!isIdentifier(change.entity) || !Object.prototype.hasOwnProperty.call(schema, change.entity)) {
    dropped.push(String(change.entity).slice(0, 80));
    return null;
  }
  if (change.data === null) return change;
  const data = projectRow(schema[change.entity]!, change.entity, change.data, dropped);
  return data === change.data ? change : { ...change, data };
}

/**
 * `row` without the columns `def` does not declare, nor values that no longer fit a column's
 * type (the newer schema changed it; the key is kept, so a bad key still fails the change).
 * The same object when nothing was left out.
 */
export function projectRow(def: TableSchema, table: string, row: Row, dropped: string[] = []): Row {
  let out: Row | null = null;
  for (const [col, v] of Object.entries(row)) {
    const type = Object.prototype.hasOwnProperty.call(def.columns, col) ? def.columns[col]! : null;
    if (type !== null && (col === def.primaryKey || valueFits(type, v))) continue;
    out ??= { ...row };
    delete out[col];
    dropped.push(type === null ? `${table}.${col.slice(0, 80)}` : `${table}.${col} (value is not ${type})`);
  }
  return out ?? row;
}
