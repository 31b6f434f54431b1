/**
 * The current-state entity tables in PostgreSQL: one table per table of the app's schema, with
 * PostgreSQL types that other programs can read and write directly (psql, the app's backend),
 * and the statements that write and read them. Wire values <-> PostgreSQL values:
 *
 * | schema type | PostgreSQL | wire value |
 * | --- | --- | --- |
 * | TEXT | text | string |
 * | INTEGER | bigint | safe integer |
 * | REAL | double precision | number |
 * | NUMERIC | jsonb | number or string, as sent |
 * | BLOB | bytea | base64 text |
 * | BOOLEAN | smallint | 0 / 1 |
 * | JSON | text | JSON text, verbatim |
 *
 * Every identifier comes from the parsed schema and goes through `quoteIdent`; every value is a
 * bound parameter (declared defaults, checked by parseSchema, are written as literals).
 */
import { quoteIdent, type ClientChange, type ColumnSpec, type ColumnType, type Row, type SchemaDeclaration, type TableSchema, type Value } from '../../lib/protocol/index.js';
import { arrayLiteral } from './pg-arrays.js';
import type { QueryConfig } from 'pg';
import type { Queryable } from './pg-types.js';

/** The PostgreSQL type of a schema column type. */
export function pgType(type: ColumnType): string {
  switch (type) {
    case 'INTEGER':
      return 'bigint';
    case 'REAL':
      return 'double precision';
    case 'NUMERIC':
      return 'jsonb';
    case 'BLOB':
      return 'bytea';
    case 'BOOLEAN':
      return 'smallint';
    default:
      return 'text';
  }
}

/** A wire value as a bound parameter of a column of `type`. */
export function toPg(type: ColumnType, v: Value): unknown {
  if (v === null) return null;
  if (type === 'NUMERIC') return JSON.stringify(v);
  if (type === 'BLOB' && typeof v === 'string') return Buffer.from(v, 'base64');
  return v;
}

/** A value read from PostgreSQL -> its wire value. */
export function fromPg(v: unknown): Value {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return v as Value;
}

/** An entity id (text) as the key parameter of its table. */
export function keyParam(type: ColumnType, entityId: string): unknown {
  if (type !== 'NUMERIC') return entityId;
  const n = Number(entityId);
  return JSON.stringify(entityId.trim() !== '' && Number.isFinite(n) && String(n) === entityId ? n : entityId);
}

/** Can `entityId` be a key of this type at all (else there is no such row, and asking would abort the transaction)? */
export function keyFits(type: ColumnType, entityId: string): boolean {
  if (type === 'INTEGER') return /^-?\d{1,16}$/.test(entityId.trim()) && Number.isSafeInteger(Number(entityId));
  if (type === 'REAL') return entityId.trim() !== '' && Number.isFinite(Number(entityId));
  return true;
}

function literal(spec: ColumnSpec, v: Value): string {
  if (v === null) return 'NULL';
  if (spec.type === 'NUMERIC') return `'${JSON.stringify(v).replace(/'/g, "''")}'::jsonb`;
  if (typeof v === 'number') return String(v);
  if (spec.type === 'BLOB') return `'\\x${Buffer.from(v, 'base64').toString('hex')}'::bytea`;
  return `'${v.replace(/'/g, "''")}'`;
}

function columnSql(name: string, spec: ColumnSpec, isKey: boolean): string {
  let sql = `${quoteIdent(name)} ${pgType(spec.type)}`;
  if (isKey) sql += ' PRIMARY KEY';
  if (spec.notNull || isKey) sql += ' NOT NULL';
  if (spec.default !== undefined && spec.default !== null) sql += ` DEFAULT ${literal(spec, spec.default)}`;
  return sql;
}

/** DDL that creates the schema's tables, adds missing columns and indexes (idempotent). */
export function entityDdl(schema: SchemaDeclaration): string[] {
  const out: string[] = [];
  for (const [table, def] of Object.entries(schema)) {
    const t = quoteIdent(table);
    out.push(`CREATE TABLE IF NOT EXISTS ${t} (${Object.entries(def.specs).map(([c, s]) => columnSql(c, s, c === def.primaryKey)).join(', ')})`);
    for (const [c, s] of Object.entries(def.specs)) if (c !== def.primaryKey) out.push(`ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS ${columnSql(c, s, false)}`);
    for (const [name, ix] of Object.entries(def.indexes)) {
      out.push(`CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${quoteIdent(name)} ON ${t} (${ix.columns.map(quoteIdent).join(', ')})`);
    }
  }
  return out;
}

/** Writes and reads the entity tables of one schema (statements built once per table / column set). */
export class PgEntities {
  constructor(private readonly schema: SchemaDeclaration) {}

  private def(entity: string): TableSchema | undefined {
    return Object.prototype.hasOwnProperty.call(this.schema, entity) ? this.schema[entity] : undefined;
  }

  /** Apply one change that passed checkChange. Throws the database error when a constraint refuses it. */
  async apply(db: Queryable, change: ClientChange): Promise<void> {
    const def = this.def(change.entity)!;
    const t = quoteIdent(change.entity);
    const pk = quoteIdent(def.primaryKey);
    const keyType = def.columns[def.primaryKey]!;
    if (change.op === 'delete') {
      await db.query({ text: `DELETE FROM ${t} WHERE ${pk} = $1`, values: [keyParam(keyType, change.entity_id)] });
      return;
    }
    const data = change.data!;
    const has = (c: string) => Object.prototype.hasOwnProperty.call(data, c);
    const key = has(def.primaryKey) ? toPg(keyType, data[def.primaryKey] ?? null) : keyParam(keyType, change.entity_id);
    // insert: the row becomes exactly `data` (missing columns: default or NULL); update: only the given columns.
    const cols = change.op === 'insert' ? Object.keys(def.specs).filter((c) => c !== def.primaryKey) : Object.keys(data).filter((c) => c !== def.primaryKey).sort();
    const values: unknown[] = [key];
    for (const c of cols) {
      const spec = def.specs[c]!;
      values.push(toPg(spec.type, has(c) ? (data[c] ?? null) : change.op === 'insert' ? (spec.default ?? null) : null));
    }
    const names = [def.primaryKey, ...cols].map(quoteIdent);
    const set = cols.length > 0 ? `DO UPDATE SET ${cols.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ')}` : 'DO NOTHING';
    await db.query({
      text: `INSERT INTO ${t} (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')}) ON CONFLICT (${pk}) ${set}`,
      values,
    });
  }

  /** Every row of a table (access rules mirror them: server/access/mirror.ts); none for a table not in the schema. */
  async all(db: Queryable, entity: string): Promise<Row[]> {
    if (!this.def(entity)) return [];
    const res = await db.query({ text: `SELECT * FROM ${quoteIdent(entity)}` });
    return (res.rows as Record<string, unknown>[]).map((row) => {
      const out: Row = {};
      for (const k of Object.keys(row)) out[k] = fromPg(row[k]);
      return out;
    });
  }

  /** The current row, or null (also for a table not in the schema). */
  async current(db: Queryable, entity: string, entityId: string): Promise<Row | null> {
    const def = this.def(entity);
    if (!def || !keyFits(def.columns[def.primaryKey]!, entityId)) return null;
    const res = await db.query({
      text: `SELECT * FROM ${quoteIdent(entity)} WHERE ${quoteIdent(def.primaryKey)} = $1`,
      values: [keyParam(def.columns[def.primaryKey]!, entityId)],
    });
    const row = res.rows[0] as Record<string, unknown> | undefined;
    if (!row) return null;
    const out: Row = {};
    for (const k of Object.keys(row)) out[k] = fromPg(row[k]);
    return out;
  }
}

/** The key of a row read back, as the entity_id text of the changes. */
function keyText(v: unknown): string {
  return typeof v === 'string' ? v : String(v);
}

/**
 * The current rows of many ids of one table (ids that cannot be keys of its type are absent), by
 * entity_id, each as its JSON text: the text of `JSON.stringify` of the row PgEntities.current
 * reads (the same columns, in the table's order, with the same values). One query; the rows come
 * as arrays and go straight to text, with no row object in between (snapshot pages, pg-snapshot.ts).
 */
export async function currentJsonMany(db: Queryable, schema: SchemaDeclaration, entity: string, ids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const def = Object.prototype.hasOwnProperty.call(schema, entity) ? schema[entity] : undefined;
  if (!def) return out;
  const type = def.columns[def.primaryKey]!;
  const keys = ids.filter((id) => keyFits(type, id)).map((id) => keyParam(type, id));
  if (keys.length === 0) return out;
  const res = await db.query({
    text: `SELECT * FROM ${quoteIdent(entity)} WHERE ${quoteIdent(def.primaryKey)} = ANY($1::${pgType(type)}[])`,
    values: [arrayLiteral(keys)],
    rowMode: 'array',
  } as QueryConfig);
  const names = res.fields.map((f, i) => `${i === 0 ? '{' : ','}${JSON.stringify(f.name)}:`);
  const key = res.fields.findIndex((f) => f.name === def.primaryKey);
  for (const r of res.rows as unknown as unknown[][]) {
    let json = '';
    for (let i = 0; i < r.length; i++) json += names[i]! + JSON.stringify(fromPg(r[i]));
    out.set(keyText(fromPg(r[key])), `${json}}`);
  }
  return out;
}

/** A PostgreSQL error that means "this change does not fit" (a constraint or a bad value), not "the database failed". */
export function isRefusal(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('23') || code.startsWith('22'));
}
