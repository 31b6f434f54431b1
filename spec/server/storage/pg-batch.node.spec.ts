/**
 * PostgreSQL writes a frame by runs of changes (one statement per run, server/storage/pg-apply.ts):
 * the SAME frames go to both backends and PostgreSQL must answer exactly as SQLite, which applies
 * change by change: the acks (status, code, LSN, current row of a rejection), the log, and the
 * rows after. The frames mix what a run could get wrong: a unique index refusing one change in a
 * run, a row changed twice in one frame, an update of a missing row, a change_id twice, deletes,
 * access checks reading the row as left by the changes before, and an older client's insert.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSchema, type AckEntry, type ClientChange, type Row } from '../../../lib/protocol/index.js';
import type { KnownColumns, PermitFn } from '../../../server/store.js';
import { PgStorage } from '../../../server/storage/postgres.js';
import { SqliteStorage } from '../../../server/storage/sqlite.js';
import type { SyncStorage } from '../../../server/storage/types.js';
import { freshPgUrl } from '../../support/pg.js';

const SCHEMA = parseSchema({
  users: {
    primaryKey: 'id',
    columns: { id: 'TEXT', email: 'TEXT', name: 'TEXT', level: { type: 'INTEGER', notNull: true, default: 1 } },
    indexes: { users_email: { columns: ['email'], unique: true } },
  },
  tags: { primaryKey: 'n', columns: { n: 'INTEGER', label: { type: 'TEXT', notNull: true } } },
});

const ins = (id: string, entity_id: string, data: Row): ClientChange => ({ change_id: id, entity: 'users', entity_id, op: 'insert', data: { id: entity_id, ...data } });
const upd = (id: string, entity_id: string, data: Row): ClientChange => ({ change_id: id, entity: 'users', entity_id, op: 'update', data });
const del = (id: string, entity_id: string, entity = 'users'): ClientChange => ({ change_id: id, entity, entity_id, op: 'delete', data: null });
const tag = (id: string, n: number, label: string, op: 'insert' | 'update' = 'insert'): ClientChange => ({ change_id: id, entity: 'tags', entity_id: String(n), op, data: { n, label } });

/** Frames in order, each with its access check and the client's known columns. */
const FRAMES: { changes: ClientChange[]; permit?: PermitFn; known?: KnownColumns }[] = [
  { changes: [ins('a1', 'u1', { email: 'x@a' }), ins('a2', 'u2', { email: 'y@a', name: 'Y' }), ins('a3', 'u3', { email: 'x@a' }), ins('a4', 'u4', { email: 'z@a' }), tag('t1', 1, 'one'), tag('t2', 2, 'two')] },
  // The same rows again in one frame; updates of missing rows (inserted; refused when a NOT NULL column without default is missing).
  {
    changes: [
      upd('b1', 'u1', { name: 'first' }), upd('b2', 'u1', { level: 5 }), upd('b3', 'u9', { name: 'ghost' }), upd('b4', 'u8', { email: 'w@a', name: 'W' }), del('b5', 'u2'), ins('b6', 'u2', { email: 'y2@a' }),
      { change_id: 'b7', entity: 'tags', entity_id: '8', op: 'update', data: {} }, tag('b8', 9, 'nine', 'update'),
    ],
  },
  // A unique refusal inside a run of updates; an email freed earlier in the frame taken later; a change_id twice (first refused).
  { changes: [upd('c1', 'u4', { email: 'x@a' }), upd('c2', 'u8', { email: 'v@a' }), upd('c3', 'u1', { email: 'q@a' }), ins('c4', 'u5', { email: 'x@a' }), ins('c5', 'u6', { email: 'w@a' }), upd('c1', 'u4', { email: 'p@a' }), upd('c1', 'u4', { email: 'o@a' }), upd('c7', 'u12', { name: 'a' }), upd('c7', 'u13', { name: 'b' })] },
  // Deletes, of present and missing rows, in runs; a change refused by the schema between them.
  { changes: [del('d1', '1', 'tags'), del('d2', '7', 'tags'), del('d3', 'u5'), { change_id: 'd4', entity: 'tags', entity_id: 'x', op: 'delete', data: null }, del('d5', 'u6'), tag('d6', 1, 'back', 'update'), tag('d7', 3, 'three')] },
  // Access: the check sees each row as the changes before it left it.
  {
    changes: [upd('e1', 'u1', { name: 'locked' }), upd('e2', 'u1', { level: 9 }), upd('e3', 'u4', { level: 2 }), upd('e4', 'u4', { name: 'fine' }), del('e5', 'u8')],
    permit: (c, _who, current) => (current !== null && current['name'] === 'locked' ? 'locked' : c.op === 'delete' && current !== null && current['level'] === 1 ? 'level 1 stays' : null),
  },
  // An older client that does not know `level`: its insert over a row keeps the level.
  { changes: [ins('f1', 'u4', { email: 'o@a', name: 'again' }), ins('f2', 'u7', { email: 'n@a' })], known: new Map([['users', new Set(['id', 'email', 'name'])]]) },
  // A frame that is all duplicates but one.
  { changes: [ins('a1', 'u1', { email: 'x@a' }), upd('c3', 'u1', { email: 'q@a' }), ins('g1', 'u10', { email: 'g@a' })] },
];

/** An ack without its reason text (the engines word constraint errors differently). */
function plain(a: AckEntry): unknown {
  return a.status === 'rejected' ? { change_id: a.change_id, status: a.status, code: a.code, row: a.row } : a;
}

async function run(store: SyncStorage): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const f of FRAMES) {
    const got = await store.applyChanges('c1', f.changes, f.permit ?? null, null, f.known ?? null);
    out.push({ acks: got.acks.map(plain), committed: got.committed, prevLsn: got.prevLsn });
  }
  for (let i = 1; i <= 13; i++) out.push(await store.currentRow('users', `u${i}`));
  for (const n of ['1', '2', '3', '7', '8', '9']) out.push(await store.currentRow('tags', n));
  out.push((await store.readLog(0, 1000)).changesJson.map((j) => JSON.parse(j) as unknown));
  return out;
}

describe('PostgreSQL writes a frame by runs, answering as SQLite does change by change', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rsw-runs-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the same acks, log and rows for frames of every kind of run', async () => {
    const sqlite = await SqliteStorage.open({ file: join(dir, 's.sqlite'), schema: SCHEMA, now: () => 5 });
    const pg = await PgStorage.open({ url: freshPgUrl(), schema: SCHEMA, now: () => 5 });
    try {
      const expected = await run(sqlite);
      // The frames do exercise what they claim: refusals of each kind, duplicates, applied changes.
      const statuses = (expected.slice(0, FRAMES.length) as { acks: { status: string; code?: string }[] }[]).flatMap((f) => f.acks.map((a) => a.code ?? a.status));
      expect(new Set(statuses)).toEqual(new Set(['applied', 'duplicate', 'change_rejected', 'schema_error']));
      expect(await run(pg)).toEqual(expected);
    } finally {
      await sqlite.close();
      await pg.close();
    }
  });

  it('writes a big frame of inserts with one refused by a unique index: exactly that one is rejected', async () => {
    const pg = await PgStorage.open({ url: freshPgUrl(), schema: SCHEMA, now: () => 5 });
    try {
      const changes = Array.from({ length: 600 }, (_, i) => ins(`h${i}`, `u${i}`, { email: i === 417 ? 'e3@a' : `e${i}@a` }));
      const out = await pg.applyChanges('c1', changes);
      expect(out.acks.filter((a) => a.status !== 'applied')).toEqual([
        jasmine.objectContaining({ change_id: 'h417', status: 'rejected', code: 'change_rejected', row: null }) as unknown as AckEntry,
      ]);
      expect(out.committed.length).toBe(599);
      expect(out.committed.map((c) => c.lsn)).toEqual(Array.from({ length: 599 }, (_, i) => i + 1));
      expect((await pg.scanRows('users')).length).toBe(599);
    } finally {
      await pg.close();
    }
  });
});
