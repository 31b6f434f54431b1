/**
 * Set-based statements of a frame's apply on PostgreSQL (pg-apply.ts): a RUN of changes (same
 * table, same op, same column set, pairwise distinct rows) is written by ONE statement over
 * arrays (`unnest`), and the current rows of many ids are read by one query. Each row written or
 * read is exactly what the per-change statements of PgEntities write and read.
 */
import { quoteIdent, type ClientChange, type Row, type SchemaDeclaration, type TableSchema } from '../../lib/protocol/index.js';
import { fromPg, keyFits, keyParam, pgType, toPg } from './pg-entities.js';
import type { Queryable } from './pg-types.js';

function tableOf(schema: SchemaDeclaration, entity: string): TableSchema | undefined {
  return Object.prototype.hasOwnProperty.call(schema, entity) ? schema[entity] : undefined;
}

/** The columns a change writes besides the key (insert: all of them; update: the given ones, sorted). */
function columnsOf(def: TableSchema, change: ClientChange): string[] {
  if (change.op === 'insert') return Object.keys(def.specs).filter((c) => c !== def.primaryKey);
  return Object.keys(change.data ?? {}).filter((c) => c !== def.primaryKey).sort();
}

/** Changes with the same run key can share one statement (the change passed checkChange). */
export function runKey(schema: SchemaDeclaration, change: ClientChange): string {
  if (change.op === 'delete') return `${change.entity}\u0000delete`;
  return `${change.entity}\u0000${change.op}\u0000${columnsOf(tableOf(schema, change.entity)!, change).join('\u0000')}`;
}

/**
 * Write a run (same run key, distinct rows, each passed checkChange) with one statement: insert
 * and update as `INSERT ... SELECT * FROM unnest(...) ON CONFLICT (key) DO UPDATE` (an update
 * sets only its columns; one of a missing row inserts it, the other columns take their defaults:
 * as PgEntities.apply), delete as `DELETE ... WHERE key = ANY(...)`. Throws the database error
 * when a constraint refuses any of them (nothing of the run is written then).
 */
export async function writeRun(db: Queryable, schema: SchemaDeclaration, run: readonly ClientChange[]): Promise<void> {
  const first = run[0]!;
  const def = tableOf(schema, first.entity)!;
  const t = quoteIdent(first.entity);
  const pk = quoteIdent(def.primaryKey);
  const keyType = def.columns[def.primaryKey]!;
  if (first.op === 'delete') {
    await db.query({ text: `DELETE FROM ${t} WHERE ${pk} = ANY($1::${pgType(keyType)}[])`, values: [run.map((c) => keyParam(keyType, c.entity_id))] });
    return;
  }
  const cols = columnsOf(def, first);
  const keys: unknown[] = [];
  const columns: unknown[][] = cols.map(() => []);
  for (const change of run) {
    const data = change.data!;
    const has = (c: string) => Object.prototype.hasOwnProperty.call(data, c);
    keys.push(has(def.primaryKey) ? toPg(keyType, data[def.primaryKey] ?? null) : keyParam(keyType, change.entity_id));
    cols.forEach((c, i) => {
      const spec = def.specs[c]!;
      columns[i]!.push(toPg(spec.type, has(c) ? (data[c] ?? null) : change.op === 'insert' ? (spec.default ?? null) : null));
    });
  }
  const names = [def.primaryKey, ...cols];
  const arrays = names.map((c, i) => `$${i + 1}::${pgType(def.columns[c]!)}[]`);
  const set = cols.length > 0 ? `DO UPDATE SET ${cols.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ')}` : 'DO NOTHING';
  await db.query({
    text: `INSERT INTO ${t} (${names.map(quoteIdent).join(', ')}) SELECT * FROM unnest(${arrays.join(', ')}) ON CONFLICT (${pk}) ${set}`,
    values: [keys, ...columns],
  });
}

/** The ordinal column of currentRows (not an identifier, so no app column has its name). */
const ORD = 'rsw ord';

/**
 * The current rows of `ids` of one table, in the order of `ids` (null: no such row, an id that
 * cannot be a key of the table, or a table not in the schema): what PgEntities.current answers
 * for each, in one query.
 */
export async function currentRows(db: Queryable, schema: SchemaDeclaration, entity: string, ids: readonly string[]): Promise<(Row | null)[]> {
  const out: (Row | null)[] = ids.map(() => null);
  const def = tableOf(schema, entity);
  if (!def) return out;
  const type = def.columns[def.primaryKey]!;
  const asked: number[] = [];
  const keys: unknown[] = [];
  ids.forEach((id, i) => {
    if (!keyFits(type, id)) return;
    asked.push(i);
    keys.push(keyParam(type, id));
  });
  if (keys.length === 0) return out;
  const res = await db.query({
    text: `SELECT k.i AS "${ORD}", t.* FROM unnest($1::${pgType(type)}[]) WITH ORDINALITY AS k (key, i) JOIN ${quoteIdent(entity)} AS t ON t.${quoteIdent(def.primaryKey)} = k.key`,
    values: [keys],
  });
  for (const r of res.rows as Record<string, unknown>[]) {
    const row: Row = {};
    for (const k of Object.keys(r)) if (k !== ORD) row[k] = fromPg(r[k]);
    out[asked[Number(r[ORD]) - 1]!] = row;
  }
  return out;
}

/** A change of the frame for the log. */
export interface LogEntry {
  lsn: number;
  change_id: string;
  entity: string;
  entity_id: string;
  op: string;
  data: string | null;
}

/** The frame's changes into the log: one statement (arrays, whatever their number). */
export function logInsert(entries: readonly LogEntry[], clientId: string, now: number, sub: string | null): { text: string; values: unknown[] } {
  return {
    text: `INSERT INTO rsw_change_log (lsn, change_id, client_id, entity, entity_id, op, data, created_at, sub)
      SELECT l, c, $7, e, i, o, d, $8, $9 FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u (l, c, e, i, o, d)`,
    values: [entries.map((e) => e.lsn), entries.map((e) => e.change_id), entries.map((e) => e.entity), entries.map((e) => e.entity_id), entries.map((e) => e.op), entries.map((e) => e.data), clientId, now, sub],
  };
}
