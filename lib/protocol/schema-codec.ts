/**
 * The app's schema declaration as the app writes it (io-ts, strict: a key the codec does not know
 * is an error with its path), and its normalised form that the rest of the library reads.
 *
 * ```ts
 * const schema = {
 *   todos: {
 *     primaryKey: 'id',
 *     columns: {
 *       id: 'TEXT',                                   // short form: just the type
 *       title: { type: 'TEXT', notNull: true, default: '' },
 *       done: { type: 'BOOLEAN', notNull: true, default: false },
 *       tags: 'JSON',                                 // objects / arrays, stored as JSON text
 *       photo: 'BLOB',                                // Uint8Array (base64 on the wire)
 *     },
 *     indexes: { todos_by_done: { columns: ['done', 'title'] }, todos_title: { columns: ['title'], unique: true } },
 *   },
 * };
 * ```
 */
import * as t from 'io-ts';
import { Identifier, identifierRecord, strictPartial, type Value } from './primitives.js';

/** Column types a schema may declare. BOOLEAN and JSON are stored as INTEGER 0/1 and TEXT. */
export const ColumnType = t.keyof({ TEXT: null, INTEGER: null, REAL: null, NUMERIC: null, BLOB: null, BOOLEAN: null, JSON: null });
export type ColumnType = t.TypeOf<typeof ColumnType>;

/** A JSON value (a declared default): bounded by the declaration itself, which the app wrote. */
const JsonDefault = t.unknown;

/** The long form of a column. */
export const ColumnInput = strictPartial({ type: ColumnType }, { notNull: t.boolean, default: JsonDefault }, 'ColumnInput');
/** One index of an app table: one or more of its columns, unique or not. */
export const IndexInput = strictPartial({ columns: t.array(Identifier) }, { unique: t.boolean }, 'IndexInput');

/** One table as declared. `primaryKey` is ONE column (see README "Composite primary keys"). */
export const TableInput = strictPartial(
  { primaryKey: Identifier, columns: identifierRecord(t.union([ColumnType, ColumnInput], 'Column')) },
  { indexes: identifierRecord(IndexInput) },
  'TableInput',
);

/** The declaration codec: table name -> table. (`parseSchema` adds the checks across fields.) */
export const SchemaDeclaration = identifierRecord(TableInput, 'SchemaDeclaration');

/** A schema as the app writes it, before it has been checked. */
export type SchemaInput = Record<
  string,
  {
    primaryKey: string;
    columns: Record<string, ColumnType | string | { type: ColumnType | string; notNull?: boolean; default?: unknown }>;
    indexes?: Record<string, { columns: readonly string[]; unique?: boolean }>;
  }
>;

/** One column, normalised. `default` is in wire form (BOOLEAN 0/1, JSON text, BLOB base64). */
export interface ColumnSpec {
  readonly type: ColumnType;
  readonly notNull: boolean;
  /** Absent: no default (NULL). */
  readonly default?: Value;
}

/** One index, normalised. */
export interface IndexSpec {
  readonly columns: readonly string[];
  readonly unique: boolean;
}

/** One table, normalised: `columns` maps each column to its type (the short form), `specs` to all of it. */
export interface TableSchema {
  readonly primaryKey: string;
  readonly columns: Readonly<Record<string, ColumnType>>;
  readonly specs: Readonly<Record<string, ColumnSpec>>;
  readonly indexes: Readonly<Record<string, IndexSpec>>;
}

/** A checked schema (what `parseSchema` returns): table name -> table. */
export type SchemaDeclaration = Readonly<Record<string, TableSchema>>;

/** The SQLite type a column is created with (its affinity keeps the stored value as written). */
export function sqlType(type: ColumnType): string {
  switch (type) {
    case 'BOOLEAN':
      return 'BOOLEAN INTEGER'; // "INT" in the name: INTEGER affinity, values 0 / 1
    case 'JSON':
      return 'JSON TEXT'; // "TEXT" in the name: TEXT affinity, so '123' stays text
    default:
      return type;
  }
}
