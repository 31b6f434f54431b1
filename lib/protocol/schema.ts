/**
 * The app's schema declaration and the checks that keep every name inside it.
 *
 * ```ts
 * const schema = { todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER' } } };
 * ```
 * A table or column that the schema does not declare can never reach SQL: every change coming
 * from the app or the server passes {@link validateChange} first, and SQL is only ever built from
 * names taken out of the (validated) schema itself.
 */
import * as t from 'io-ts';
import { isLeft } from './either.js';
import { SchemaError } from '../errors.js';
import { Identifier, identifierRecord, isIdentifier, type Op, type Row, type Value } from './primitives.js';

/** SQLite column types a schema may declare. */
export const ColumnType = t.keyof({ TEXT: null, INTEGER: null, REAL: null, NUMERIC: null, BLOB: null });
export type ColumnType = t.TypeOf<typeof ColumnType>;

/** One table: its primary key column and its columns. */
export const TableSchema = t.type({ primaryKey: Identifier, columns: identifierRecord(ColumnType) });
export type TableSchema = t.TypeOf<typeof TableSchema>;

/** The whole declaration: table name -> table. */
export const SchemaDeclaration = identifierRecord(TableSchema, 'SchemaDeclaration');
export type SchemaDeclaration = t.TypeOf<typeof SchemaDeclaration>;

/** Names the library keeps for itself. */
export const RESERVED_TABLES: ReadonlySet<string> = new Set(['local_changes', 'sync_state', 'schema_migrations', 'change_log', 'clients']);

/** A schema the app wrote by hand (plain strings) before it has been checked. */
export type SchemaInput = Record<string, { primaryKey: string; columns: Record<string, ColumnType | string> }>;

/**
 * Check a schema declaration: io-ts shape, identifier pattern, primary key among the columns,
 * no reserved table names, at least one table. Returns the typed schema or throws SchemaError.
 */
export function parseSchema(input: unknown): SchemaDeclaration {
  const decoded = SchemaDeclaration.decode(input);
  if (isLeft(decoded)) {
    const first = decoded.left[0];
    const path = first ? first.context.map((c) => c.key).filter((k) => k !== '').join('.') : '';
    throw new SchemaError(`invalid schema declaration at "${path}": ${first?.message ?? 'expected { table: { primaryKey, columns } }'}`, { path });
  }
  const schema = decoded.right;
  const tables = Object.keys(schema);
  if (tables.length === 0) throw new SchemaError('schema declares no tables');
  for (const table of tables) {
    if (RESERVED_TABLES.has(table.toLowerCase())) throw new SchemaError(`table name "${table}" is reserved`, { entity: table });
    const def = schema[table]!;
    if (!Object.prototype.hasOwnProperty.call(def.columns, def.primaryKey)) {
      throw new SchemaError(`primary key "${def.primaryKey}" of "${table}" is not one of its columns`, { entity: table });
    }
  }
  return schema;
}

/** Is `u` acceptable for a column of type `type`? */
export function valueFits(type: ColumnType, u: Value): boolean {
  if (u === null) return true;
  switch (type) {
    case 'TEXT':
    case 'BLOB':
      return typeof u === 'string';
    case 'INTEGER':
      return typeof u === 'number' && Number.isSafeInteger(u);
    case 'REAL':
      return typeof u === 'number';
    case 'NUMERIC':
      return true;
  }
}

/** What {@link validateChange} needs of a change. */
export interface ChangeShape {
  entity: string;
  entity_id: string;
  op: Op;
  data: Row | null;
  change_id?: string;
}

/**
 * Check one change against the schema: known table, known columns, values that fit the
 * column types, a primary key that agrees with `entity_id`, `data` present unless deleting.
 * Returns a SchemaError (as data) or null.
 */
export function checkChange(schema: SchemaDeclaration, change: ChangeShape): SchemaError | null {
  const ctx = { change_id: change.change_id, entity: change.entity };
  if (!isIdentifier(change.entity) || !Object.prototype.hasOwnProperty.call(schema, change.entity)) {
    return new SchemaError(`unknown table "${String(change.entity).slice(0, 80)}"`, { ...ctx, path: 'entity' });
  }
  const def = schema[change.entity]!;
  if (change.op === 'delete') {
    return change.data === null ? null : new SchemaError('a delete carries no data', { ...ctx, path: 'data' });
  }
  if (change.data === null) return new SchemaError(`an ${change.op} needs data`, { ...ctx, path: 'data' });
  for (const [col, v] of Object.entries(change.data)) {
    if (!isIdentifier(col) || !Object.prototype.hasOwnProperty.call(def.columns, col)) {
      return new SchemaError(`unknown column "${col.slice(0, 80)}" in "${change.entity}"`, { ...ctx, path: `data.${col.slice(0, 80)}` });
    }
    if (!valueFits(def.columns[col]!, v)) {
      return new SchemaError(`value for "${change.entity}.${col}" is not ${def.columns[col]}`, { ...ctx, path: `data.${col}` });
    }
  }
  const pk = change.data[def.primaryKey];
  if (pk === null && change.op === 'update') {
    // A key set to null would break the row's NOT NULL key in SQLite: refuse it here, typed.
    return new SchemaError(`update of "${change.entity}" cannot set its primary key "${def.primaryKey}" to null`, { ...ctx, path: `data.${def.primaryKey}` });
  }
  if (change.op === 'insert' && (pk === undefined || pk === null)) {
    return new SchemaError(`insert into "${change.entity}" needs its primary key "${def.primaryKey}"`, { ...ctx, path: `data.${def.primaryKey}` });
  }
  if (pk !== undefined && pk !== null && String(pk) !== change.entity_id) {
    return new SchemaError(`primary key "${def.primaryKey}" (${String(pk)}) does not match entity_id (${change.entity_id})`, { ...ctx, path: `data.${def.primaryKey}` });
  }
  return null;
}

/** Like {@link checkChange}, but throws. */
export function validateChange<C extends ChangeShape>(schema: SchemaDeclaration, change: C): C {
  const err = checkChange(schema, change);
  if (err) throw err;
  return change;
}
