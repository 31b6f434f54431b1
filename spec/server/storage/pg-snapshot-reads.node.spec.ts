/**
 * A snapshot page on PostgreSQL reads its rows in few queries (server/storage/pg-snapshot.ts):
 * after a first read of 64 rows, the next read is sized by what is left of the byte budget at the
 * average row size so far, so a page of even rows takes two row reads (the doubling before took
 * five for a page of 1,000); a page that continues a snapshot starts with a read sized by the page
 * before (one read); and the pages are exactly SQLite's, page by page, byte-bounded or not.
 * A read that reaches the page's last version has its COMMIT sent right behind it (pipelined),
 * and the rows go from PostgreSQL's arrays straight to JSON text: each entry's row is exactly
 * the row `currentRow` reads, for every column type.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSchema, type ClientChange } from '../../../lib/protocol/index.js';
import { firstRead, nextRead } from '../../../server/storage/pg-snapshot.js';
import { PgStorage } from '../../../server/storage/postgres.js';
import { SqliteStorage } from '../../../server/storage/sqlite.js';
import type { SyncStorage } from '../../../server/storage/types.js';
import { freshPgUrl, queriesDuring } from '../../support/pg.js';
import { SCHEMA } from '../helpers.js';
import { onTheWire } from './pg-wire.js';

const todo = (i: number): ClientChange => ({ change_id: `c${i}`, entity: 'todos', entity_id: `t${String(i).padStart(4, '0')}`, op: 'insert', data: { id: `t${String(i).padStart(4, '0')}`, title: `title ${i} ${'x'.repeat(i % 7)}`, done: i % 2 } });

/** Every snapshot page from 0 with `limit` and `maxBytes`, following the cursor. */
async function allPages(store: SyncStorage, limit: number, maxBytes: number): Promise<unknown[]> {
  const pages: unknown[] = [];
  let cursor: number | undefined;
  for (;;) {
    const page = await store.readPage(0, limit, maxBytes, cursor);
    pages.push({ ...page, changesJson: page.changesJson.map((j) => JSON.parse(j) as unknown) });
    if (page.cursor === undefined) return pages;
    cursor = page.cursor;
  }
}

describe('PostgreSQL snapshot page reads', () => {
  let dir: string;
  let sqlite: SqliteStorage;
  let pgs: PgStorage;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rsw-snapreads-'));
    sqlite = await SqliteStorage.open({ file: join(dir, 's.sqlite'), schema: parseSchema(SCHEMA), now: () => 5 });
    pgs = await PgStorage.open({ url: freshPgUrl(), schema: parseSchema(SCHEMA), now: () => 5 });
    const frame = Array.from({ length: 1000 }, (_, i) => todo(i));
    await sqlite.applyChanges('w', frame);
    await pgs.applyChanges('w', frame);
  });
  afterAll(async () => {
    await sqlite.close();
    await pgs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a page of 1,000 even rows in two row reads (four queries with the snapshot and its end)', async () => {
    const { result, queries } = await queriesDuring(() => pgs.readPage(0, 1000, 1024 * 1024));
    expect(result.changesJson.length).toBe(1000);
    expect(queries).toBe(4);
  });

  it('starts the next page of a snapshot with one read sized by the last page (three queries)', async () => {
    const first = await pgs.readPage(0, 500, 1024 * 1024);
    expect(first.cursor).toBeDefined();
    const { result, queries, mostInFlight } = await onTheWire(() => pgs.readPage(0, 500, 1024 * 1024, first.cursor));
    expect(result.changesJson.length).toBe(500);
    expect(queries).toBe(3);
    // The row read covers the page's last version: its COMMIT is on its way with it.
    expect(mostInFlight).toBe(2);
  });

  it('answers byte-bounded pages exactly as SQLite does', async () => {
    for (const [limit, maxBytes] of [[1000, 20_000], [300, 1024 * 1024], [1000, 150], [1000, 64 * 1024]] as const) {
      const expected = await allPages(sqlite, limit, maxBytes);
      expect(expected.length).toBeGreaterThan(1);
      expect(await allPages(pgs, limit, maxBytes)).toEqual(expected);
    }
  }, 30_000); // about 2,600 pages in all (maxBytes 150: one row each): seconds on a busy machine

  it('sizes the next read by the bytes left at the average size so far', () => {
    expect(nextRead(64, 6400, 1024 * 1024)).toBe(1024); // room for far more: the most
    expect(nextRead(64, 6400, 20_000)).toBe(153); // (20,000 - 6,400) / 100 = 136, plus an eighth
    expect(nextRead(64, 19_990, 20_000)).toBe(64); // nearly full: the least
    expect(nextRead(0, 0, 20_000)).toBe(1024);
    expect(nextRead(10, 100, Infinity)).toBe(1024);
    // The first read: 64 rows when nothing is known, else sized by the page before.
    expect(firstRead(null, 20_000)).toBe(64);
    expect(firstRead(270, 1024 * 1024)).toBe(1024);
    expect(firstRead(5000, 20_000)).toBe(64); // (20,000 - 5,000) / 5,000 = 3 rows, plus an eighth: the least
    expect(firstRead(100, 20_000)).toBe(224); // (20,000 - 100) / 100 = 199, plus an eighth
  });
});

describe('PostgreSQL snapshot page rows', () => {
  const TYPED = parseSchema({
    kinds: {
      primaryKey: 'id',
      columns: { id: 'TEXT', t: 'TEXT', i: 'INTEGER', r: 'REAL', n: 'NUMERIC', b: 'BLOB', f: 'BOOLEAN', j: 'JSON' },
    },
  });
  const rows = [
    { id: 'a', t: 'quote " back \\ brace { ünï 😀', i: 9007199254740991, r: -0.125, n: 12.5, b: Buffer.from([0, 255, 34]).toString('base64'), f: 1, j: '{"x":[1,"y"]}' },
    { id: 'b', t: null, i: null, r: null, n: null, b: null, f: null, j: null },
    { id: 'c', t: '', i: -3, r: 1e21, n: '12345678901234567890.5', b: '', f: 0, j: 'null' },
  ];
  let store: PgStorage;
  beforeAll(async () => {
    store = await PgStorage.open({ url: freshPgUrl(), schema: TYPED, now: () => 5 });
    const out = await store.applyChanges('w', rows.map((data, k) => ({ change_id: `k${k}`, entity: 'kinds', entity_id: data.id, op: 'insert', data })));
    expect(out.acks.every((a) => a.status === 'applied')).toBe(true);
  });
  afterAll(() => store.close());

  it('carries each row exactly as currentRow reads it, for every column type', async () => {
    const page = await store.readPage(0, 1000, 1024 * 1024);
    const entries = page.changesJson.map((j) => JSON.parse(j) as { entity_id: string; data: unknown });
    expect(entries.length).toBe(3);
    for (const e of entries) expect(e.data).toEqual(await store.currentRow('kinds', e.entity_id));
  });
});
