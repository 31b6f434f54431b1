/**
 * Values between the app, the wire and SQLite, per declared column type:
 *
 *   type      app (insert / update / query)        wire (frames, journal, log)   SQLite
 *   BOOLEAN   true / false (0 / 1 accepted)        0 / 1                         INTEGER 0 / 1
 *   JSON      any JSON value (object, array...)    its JSON text                 TEXT
 *   BLOB      Uint8Array                           base64 text                   BLOB
 *   others    string / number                      the same                      the same
 *
 * NULL is NULL everywhere. The wire form is what `checkChange` checks, so the protocol keeps
 * carrying only strings, numbers and null.
 */
import { SchemaError } from '../errors.js';
import type { ColumnSpec, ColumnType, Row, Value } from '../protocol/index.js';
import type { TableColumns } from './column-types.js';

/** Does any column of `def` need a conversion (BOOLEAN, JSON, BLOB)? */
export function hasConvertedColumns(def: TableColumns): boolean {
  return Object.values(def.columns).some(isConverted);
}

/** Types whose app value differs from their wire value. */
export function isConverted(type: ColumnType): boolean {
  return type === 'BOOLEAN' || type === 'JSON' || type === 'BLOB';
}

/** One app value -> its wire value; throws SchemaError (with `path`) when it does not fit. */
export function toWireValue(type: ColumnType, u: unknown, path: string): Value {
  if (u === null || u === undefined) return null;
  switch (type) {
    case 'BOOLEAN':
      if (u === true || u === 1) return 1;
      if (u === false || u === 0) return 0;
      break;
    case 'JSON': {
      if (typeof u === 'function' || typeof u === 'symbol' || typeof u === 'bigint') break;
      let text: string | undefined;
      try {
        text = JSON.stringify(u);
      } catch (cause) {
        throw new SchemaError(`value for "${path}" is not JSON: ${(cause as Error).message}`, { path });
      }
      if (text !== undefined) return text;
      break;
    }
    case 'BLOB':
      if (u instanceof Uint8Array) return toBase64(u);
      break;
    default:
      return u as Value; // checked by checkChange
  }
  throw new SchemaError(`value for "${path}" is not ${describeType(type)}`, { path });
}

/** An app row -> a wire row (only converted columns change; unknown columns are left for checkChange). */
export function toWireRow(def: TableColumns, table: string, row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [col, v] of Object.entries(row)) {
    const type = Object.prototype.hasOwnProperty.call(def.columns, col) ? def.columns[col]! : null;
    out[col] = type === null ? (v as Value) : toWireValue(type, v, `${table}.${col}`);
  }
  return out;
}

/** One value as SQLite returned it (or as the wire carries it) -> the app's value. */
export function toAppValue(type: ColumnType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'BOOLEAN':
      return typeof v === 'number' || typeof v === 'string' ? Number(v) !== 0 : v;
    case 'JSON':
      if (typeof v !== 'string') return v;
      try {
        return JSON.parse(v) as unknown;
      } catch {
        return v; // not written by us (another program): give it back as it is
      }
    case 'BLOB':
      if (v instanceof Uint8Array) return v;
      return typeof v === 'string' ? fromBase64(v) : v;
    default:
      return v;
  }
}

/** A wire value -> what is bound in SQLite (BLOB: bytes). */
export function toSqlValue(spec: ColumnSpec | undefined, v: Value): Value | Uint8Array {
  return spec?.type === 'BLOB' && typeof v === 'string' ? fromBase64(v) : v;
}

/** A value read from SQLite -> its wire value (BLOB bytes: base64). */
export function fromSqlValue(v: unknown): Value {
  return v instanceof Uint8Array ? toBase64(v) : (v as Value);
}

/** Bytes -> base64 (btoa over chunks: no Node Buffer, works in a worker). */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Base64 -> bytes. */
export function fromBase64(s: string): Uint8Array {
  const binary = atob(s);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function describeType(type: ColumnType): string {
  switch (type) {
    case 'BOOLEAN':
      return 'a boolean';
    case 'JSON':
      return 'a JSON value';
    case 'BLOB':
      return 'a Uint8Array';
    default:
      return type;
  }
}
