/**
 * Group commit on PostgreSQL (`PgStorage.applyFrames`, server/storage/pg-apply.ts): frames of
 * several clients in ONE transaction must answer exactly as SQLite answers the same frames applied
 * one by one (acks, LSNs, prevLsn, log, rows), including a change_id re-sent by a later frame of
 * the group, the same change_id from another client, and a refusal, which makes the group fall
 * back to one transaction per frame. The group's writes and its COMMIT go out back to back on a
 * pipelined connection (server/storage/pg-pipeline.ts), and nothing is answered unless it committed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSchema, type AckEntry, type ClientChange, type Row } from '../../../lib/protocol/index.js';
import { PgStorage } from '../../../server/storage/postgres.js';
import { SqliteStorage } from '../../../server/storage/sqlite.js';
import type { FrameRequest, SyncStorage } from '../../../server/storage/types.js';
import { freshPgUrl } from '../../support/pg.js';
import { onTheWire } from './pg-wire.js';

const SCHEMA = parseSchema({
  users: { primaryKey: 'id', columns: { id: 'TEXT', email: 'TEXT', name: 'TEXT' }, indexes: { users_email: { columns: ['email'], unique: true } } },
});
const ins = (id: string, entity_id: string, data: Row): ClientChange => ({ change_id: id, entity: 'users', entity_id, op: 'insert', data: { id: entity_id, ...data } });
const upd = (id: string, entity_id: string, data: Row): ClientChange => ({ change_id: id, entity: 'users', entity_id, op: 'update', data });
const frame = (clientId: string, changes: ClientChange[]): FrameRequest => ({ clientId, changes, permit: null, sub: null, known: null });

/** An ack without its reason text (the engines word constraint errors differently). */
const plain = (a: AckEntry) => (a.status === 'rejected' ? { change_id: a.change_id, status: a.status, code: a.code, row: a.row } : a);

async function state(store: SyncStorage): Promise<unknown> {
  const rows: unknown[] = [];
  for (let i = 1; i <= 6; i++) rows.push(await store.currentRow('users', `u${i}`));
  return { rows, log: (await store.readLog(0, 1000)).changesJson.map((j) => JSON.parse(j) as unknown) };
}

describe('PostgreSQL group commit', () => {
  let dir: string;
  let sqlite: SqliteStorage;
  let pgs: PgStorage;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rsw-group-'));
    sqlite = await SqliteStorage.open({ file: join(dir, 's.sqlite'), schema: SCHEMA, now: () => 5 });
    pgs = await PgStorage.open({ url: freshPgUrl(), schema: SCHEMA, now: () => 5 });
  });
  afterEach(async () => {
    await sqlite.close();
    await pgs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Apply `frames` on both backends, compare, and say how PostgreSQL's statements went out. */
  async function compare(frames: FrameRequest[], commits: number): Promise<{ mostInFlight: number; pipelined: boolean }> {
    await pgs.applyChanges('c0', [ins('z1', 'u6', { email: 'z@a' })]);
    await sqlite.applyChanges('c0', [ins('z1', 'u6', { email: 'z@a' })]);
    const expected = [];
    for (const f of frames) expected.push(await sqlite.applyChanges(f.clientId, f.changes));
    const got = await onTheWire(() => pgs.applyFrames(frames));
    expect(got.result.map((o) => ({ ...o, acks: o.acks.map(plain) }))).toEqual(expected.map((o) => ({ ...o, acks: o.acks.map(plain) })));
    expect(await state(pgs)).toEqual(await state(sqlite));
    expect(got.committed).toBe(commits);
    return got;
  }

  it('writes frames of several clients in one transaction, each answered as if applied alone', async () => {
    const wire = await compare([
      frame('c1', [ins('a1', 'u1', { email: 'a@a' }), ins('a2', 'u2', { email: 'b@a' })]),
      // Another client: the same change_id is its own change; it updates a row the frame before wrote.
      frame('c2', [ins('a1', 'u3', { email: 'c@a' }), upd('b1', 'u1', { name: 'one' })]),
      // The first client again: a re-send of a change of the first frame is a duplicate with that LSN.
      frame('c1', [ins('a2', 'u2', { email: 'b@a' }), upd('a3', 'u2', { name: 'two' }), upd('a4', 'u6', { name: 'six' })]),
    ], 1);
    // Pipelined, one round trip: the begin (lock, LSN base), the frames' statements (1 + 2 + 1: the
    // second frame has two runs) and the COMMIT are all on their way at once.
    expect(wire.pipelined).toBe(true);
    expect(wire.mostInFlight).toBe(6);
  });

  it('writes a group again with the dedupe lookup, still as one transaction, when a frame re-sends a change logged before it', async () => {
    await compare([
      frame('c1', [ins('a1', 'u1', { email: 'a@a' })]),
      // z1 of c0 is in the log (compare's first change): the optimistic attempt is refused by the log's unique index.
      frame('c0', [ins('z1', 'u6', { email: 'z@a' }), upd('z2', 'u1', { name: 'one' })]),
    ], 1);
  });

  it('falls back to one transaction per frame when a change of the group is refused', async () => {
    await compare([
      frame('c1', [ins('a1', 'u1', { email: 'a@a' })]),
      // Refused by the unique index: only this change; the others of the frame and the group apply.
      frame('c2', [ins('b1', 'u2', { email: 'a@a' }), ins('b2', 'u3', { email: 'c@a' })]),
      frame('c1', [upd('a2', 'u1', { name: 'one' })]),
    ], 3);
  });
});
