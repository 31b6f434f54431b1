/**
 * Query results back in the app's types. A result column is converted when its name is a
 * BOOLEAN, JSON or BLOB column of the tables the query reads (and means the same type in each of
 * them that declares it). A column renamed with `AS`, or an expression, comes back as SQLite
 * stores it (0 / 1, JSON text, base64 text for bytes): convert those with {@link toAppValue}.
 */
import type { ColumnType, Row } from '../protocol/index.js';
import type { ColumnTypes } from './column-types.js';
import { isConverted, toAppValue, toBase64 } from './values.js';

/** Converts result rows in place; null when nothing the query reads needs converting. */
export type RowDecoder = ((rows: Record<string, unknown>[]) => Record<string, unknown>[]) | null;

/** The decoder for a query reading `tables` (names from the schema). */
export function rowDecoder(schema: ColumnTypes, tables: Iterable<string>): RowDecoder {
  const byName = new Map<string, ColumnType | null>();
  for (const table of tables) {
    const def = schema[table];
    if (!def) continue;
    for (const [col, type] of Object.entries(def.columns)) {
      const seen = byName.get(col);
      // Two tables disagree on what the name means: leave it as stored.
      byName.set(col, seen === undefined || seen === type ? type : null);
    }
  }
  const convert = [...byName].filter((e): e is [string, ColumnType] => e[1] !== null && isConverted(e[1]));
  if (convert.length === 0) return null;
  return (rows) => {
    for (const row of rows) {
      for (const [col, type] of convert) {
        if (Object.prototype.hasOwnProperty.call(row, col)) row[col] = toAppValue(type, row[col]);
      }
    }
    return rows;
  };
}

/** A wire row of `table` (a pending change's data, a server row) in the app's types. */
export function toAppRow(schema: ColumnTypes, table: string, row: Row): Record<string, unknown> {
  const def = schema[table];
  if (!def) return row;
  const out: Record<string, unknown> = { ...row };
  for (const [col, v] of Object.entries(row)) {
    const type = def.columns[col];
    if (type !== undefined && isConverted(type)) out[col] = toAppValue(type, v);
  }
  return out;
}

/** JSON.stringify replacer for query results: bytes travel as base64 text (the worker -> main hop). */
export function bytesAsBase64(this: unknown, _key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? toBase64(value) : value;
}
