/**
 * The part of a schema the main thread needs: each table's primary key and column types, to turn
 * app values into wire values and query results back (BOOLEAN, JSON, BLOB). Read without io-ts,
 * and without judging: the sync host checks the whole declaration (`parseSchema`) and `ready`
 * rejects with its SchemaError. What cannot be read here is left out, so a bad declaration never
 * throws on the main thread before the host has said what is wrong with it.
 */
import type { ColumnType } from '../protocol/index.js';

/** One table as the main thread sees it (a checked TableSchema fits this shape too). */
export interface TableColumns {
  readonly primaryKey: string;
  readonly columns: Readonly<Record<string, ColumnType>>;
}

/** Table name -> its key and column types. */
export type ColumnTypes = Readonly<Record<string, TableColumns>>;

/** Read key and column types out of a declaration (short or long column form). */
export function readColumnTypes(input: unknown): ColumnTypes {
  const out: Record<string, TableColumns> = {};
  if (typeof input !== 'object' || input === null) return out;
  for (const [table, def] of Object.entries(input as Record<string, unknown>)) {
    if (typeof def !== 'object' || def === null) continue;
    const { primaryKey, columns } = def as { primaryKey?: unknown; columns?: unknown };
    if (typeof primaryKey !== 'string' || typeof columns !== 'object' || columns === null) continue;
    const types: Record<string, ColumnType> = {};
    for (const [col, c] of Object.entries(columns as Record<string, unknown>)) {
      const type = typeof c === 'object' && c !== null ? (c as { type?: unknown }).type : c;
      if (typeof type === 'string') types[col] = type as ColumnType;
    }
    out[table] = { primaryKey, columns: types };
  }
  return out;
}
