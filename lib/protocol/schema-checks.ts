/**
 * What a value or a change must be to fit a checked schema (parseSchema, schema.ts): the wire
 * value of each column type, and {@link checkChange}, which every change coming from the app or
 * the server passes before it can reach SQL.
 */
import { SchemaError } from '../errors.js';
import { isIdentifier, isWellFormed, type Op, type Row, type Value } from './primitives.js';
import type { ColumnType, SchemaDeclaration as Schema, TableSchema } from './schema-codec.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Is `s` canonical (padded) base64: the wire form of a BLOB? */
export function isBase64(s: string): boolean {
  return s.length % 4 === 0 && BASE64.test(s);
}

/** Is the wire value `u` acceptable for a column of type `type`? */
export function valueFits(type: ColumnType, u: Value): boolean {
  if (u === null) return true;
  // Text must survive UTF-8 storage unchanged (no lone surrogate), in every column type.
  if (typeof u === 'string' && !isWellFormed(u)) return false;
  switch (type) {
    case 'TEXT':
      return typeof u === 'string';
    case 'BLOB':
      return typeof u === 'string' && isBase64(u);
    case 'INTEGER':
      return typeof u === 'number' && Number.isSafeInteger(u);
    case 'REAL':
      return typeof u === 'number';
    case 'BOOLEAN':
      return u === 0 || u === 1;
    case 'JSON':
      return typeof u === 'string' && isJsonText(u);
    case 'NUMERIC':
      return true;
  }
}

function isJsonText(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/** What {@link checkChange} needs of a change. */
export interface ChangeShape {
  entity: string;
  entity_id: string;
  op: Op;
  data: Row | null;
  change_id?: string;
}

/**
 * Check one change against the schema: known table, known columns, values that fit the
 * column types, NOT NULL columns not set to null (nor left out of an insert without a default),
 * a primary key that agrees with `entity_id`, `data` present unless deleting.
 * Returns a SchemaError (as data) or null.
 */
export function checkChange(schema: Schema, change: ChangeShape): SchemaError | null {
  // The hot path (a change that fits) allocates nothing: no entries arrays, no error context.
  const fail = (message: string, path: string) => new SchemaError(message, { change_id: change.change_id, entity: change.entity, path });
  if (!isIdentifier(change.entity) || !Object.prototype.hasOwnProperty.call(schema, change.entity)) {
    return fail(`unknown table "${String(change.entity).slice(0, 80)}"`, 'entity');
  }
  const def = schema[change.entity]!;
  if (typeof change.entity_id !== 'string' || !isWellFormed(change.entity_id)) {
    return fail(`entity_id of "${change.entity}" is not well-formed text (lone surrogate)`, 'entity_id');
  }
  const keyError = nonCanonicalKey(def.columns[def.primaryKey]!, change.entity_id);
  if (keyError !== null) return fail(`entity_id of "${change.entity}" ${keyError}`, 'entity_id');
  if (change.op === 'delete') {
    return change.data === null ? null : fail('a delete carries no data', 'data');
  }
  const data = change.data;
  if (data === null) return fail(`an ${change.op} needs data`, 'data');
  for (const col in data) {
    if (!Object.prototype.hasOwnProperty.call(data, col)) continue;
    const v = data[col];
    if (!isIdentifier(col) || !Object.prototype.hasOwnProperty.call(def.columns, col)) {
      return fail(`unknown column "${col.slice(0, 80)}" in "${change.entity}"`, `data.${col.slice(0, 80)}`);
    }
    if (!valueFits(def.columns[col]!, v as Value)) {
      const what = typeof v === 'string' && !isWellFormed(v) ? 'well-formed text (lone surrogate)' : def.columns[col];
      return fail(`value for "${change.entity}.${col}" is not ${what}`, `data.${col}`);
    }
    if (v === null && col !== def.primaryKey && def.specs[col]!.notNull) {
      return fail(`"${change.entity}.${col}" is NOT NULL`, `data.${col}`);
    }
  }
  if (change.op === 'insert') {
    for (const col of requiredColumns(def)) {
      if (!Object.prototype.hasOwnProperty.call(data, col)) return fail(`insert into "${change.entity}" needs "${col}" (NOT NULL, no default)`, `data.${col}`);
    }
  }
  const pk = data[def.primaryKey];
  if (pk === null && change.op === 'update') {
    // A key set to null would break the row's NOT NULL key in SQLite: refuse it here, typed.
    return fail(`update of "${change.entity}" cannot set its primary key "${def.primaryKey}" to null`, `data.${def.primaryKey}`);
  }
  if (change.op === 'insert' && (pk === undefined || pk === null)) {
    return fail(`insert into "${change.entity}" needs its primary key "${def.primaryKey}"`, `data.${def.primaryKey}`);
  }
  if (pk !== undefined && pk !== null && String(pk) !== change.entity_id) {
    return fail(`primary key "${def.primaryKey}" (${String(pk)}) does not match entity_id (${change.entity_id})`, `data.${def.primaryKey}`);
  }
  return null;
}

const REQUIRED = new WeakMap<TableSchema, readonly string[]>();

/** The columns an insert must give: NOT NULL, no default, not the key (computed once per table). */
function requiredColumns(def: TableSchema): readonly string[] {
  let cols = REQUIRED.get(def);
  if (cols === undefined) {
    cols = Object.entries(def.specs).filter(([col, spec]) => col !== def.primaryKey && spec.notNull && spec.default === undefined).map(([col]) => col);
    REQUIRED.set(def, cols);
  }
  return cols;
}

/**
 * A numeric primary key has ONE text form: `"07"` and `"7"` name the same SQL row, so only the
 * canonical one (`String(Number(id))`) is accepted. INTEGER keys must be safe integers.
 * Returns what is wrong, or null.
 */
export function nonCanonicalKey(type: ColumnType, entityId: string): string | null {
  if (type === 'INTEGER') {
    const n = Number(entityId);
    if (!/^-?(0|[1-9][0-9]*)$/.test(entityId) || !Number.isSafeInteger(n) || Object.is(n, -0)) return `"${entityId.slice(0, 40)}" is not the canonical text of an INTEGER key (like "7")`;
    return null;
  }
  if (type === 'REAL' || type === 'NUMERIC') {
    const n = Number(entityId);
    if (entityId.trim() !== '' && Number.isFinite(n) && String(n) !== entityId) return `"${entityId.slice(0, 40)}" is not the canonical text of a ${type} key (use "${String(n)}")`;
  }
  return null;
}

/** Like {@link checkChange}, but throws. */
export function validateChange<C extends ChangeShape>(schema: Schema, change: C): C {
  const err = checkChange(schema, change);
  if (err) throw err;
  return change;
}
