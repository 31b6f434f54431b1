/**
 * Seeded bench data shared by the Node driver and the browser page: the schema (one table of six
 * columns), a deterministic PRNG, rows of about 150 bytes of JSON, and server frames built from them.
 */
import { mulberry32 } from '../../lib/engine/random.js';

/** The bench schema: one entity table, six columns, TEXT primary key. */
export const BENCH_SCHEMA = {
  items: {
    primaryKey: 'id',
    columns: { id: 'TEXT', title: 'TEXT', body: 'TEXT', owner: 'TEXT', qty: 'INTEGER', price: 'REAL' },
  },
} as const;

/** A bench row (the `items` table). */
export interface BenchRow {
  [column: string]: string | number;
  id: string;
  title: string;
  body: string;
  owner: string;
  qty: number;
  price: number;
}

/** The library's seeded PRNG (floats in [0, 1)), re-exported for the bench. */
export { mulberry32 };

const WORDS = ['alpha', 'bravo', 'delta', 'gamma', 'kilo', 'lima', 'oscar', 'sierra', 'tango', 'zulu', 'nova', 'echo'];

function words(rnd: () => number, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(WORDS[Math.floor(rnd() * WORDS.length)]!);
  return out.join(' ');
}

/** The id of row `i` with a prefix (zero-padded so ids sort in creation order). */
export function rowId(prefix: string, i: number): string {
  return `${prefix}-${String(i).padStart(9, '0')}`;
}

/** Row `i` (about 150 bytes as JSON), deterministic for a given PRNG state. */
export function makeRow(rnd: () => number, prefix: string, i: number): BenchRow {
  return {
    id: rowId(prefix, i),
    title: words(rnd, 3),
    body: words(rnd, 7),
    owner: `user-${Math.floor(rnd() * 1000)}`,
    qty: Math.floor(rnd() * 10_000),
    price: Math.round(rnd() * 100_000) / 100,
  };
}

/** A change as the server's log holds it (the `ServerChange` wire shape). */
export interface WireServerChange {
  lsn: number;
  change_id: string;
  client_id: string;
  entity: string;
  entity_id: string;
  op: 'insert';
  data: BenchRow;
}

/**
 * The JSON text of `batches` consecutive `server_changes` frames of `size` inserts each, starting
 * after `fromLsn`, exactly as the reference server sends them.
 */
export function serverFrames(seed: number, fromLsn: number, batches: number, size: number): string[] {
  const rnd = mulberry32(seed);
  const frames: string[] = [];
  let lsn = fromLsn;
  for (let b = 0; b < batches; b++) {
    const prev = lsn;
    const changes: WireServerChange[] = [];
    for (let i = 0; i < size; i++) {
      lsn++;
      const data = makeRow(rnd, 'srv', lsn);
      changes.push({ lsn, change_id: `c-${seed}-${lsn}`, client_id: 'bench-server-writer', entity: 'items', entity_id: data.id, op: 'insert', data });
    }
    frames.push(JSON.stringify({ type: 'server_changes', prev_lsn: prev, lsn, changes }));
  }
  return frames;
}

/**
 * The row data a client holds: the JSON of every entity row (the bench table's six columns), and
 * the size of the database file. The same on both paths, so that they compare.
 */
export const ROW_DATA_SQL = "SELECT count(*) AS rows, coalesce(sum(length(json_object('id', id, 'title', title, 'body', body, 'owner', owner, 'qty', qty, 'price', price))), 0) AS data FROM items";
