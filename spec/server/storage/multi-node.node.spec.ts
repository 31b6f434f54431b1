/**
 * Several sync nodes on ONE PostgreSQL (real PostgreSQL, real servers, real sockets): a client on
 * node A sees what a client on node B wrote (LISTEN/NOTIFY), every client sees one gap-free LSN
 * sequence whichever node it is on, and writes made straight into the tables (psql, the app's
 * backend) are captured by the triggers and reach the clients of every node like any change.
 */
import pg from 'pg';
import type { ServerChanges } from '../../../lib/protocol/index.js';
import { startSyncServer, type SyncServer } from '../../../server/index.js';
import { DIRECT_CLIENT_ID } from '../../../server/storage/pg-triggers.js';
import { freshPgUrl } from '../../support/pg.js';
import { SCHEMA, TestClient, todo } from '../helpers.js';

/** Collect server_changes from `c` until LSN `lsn` (checking prev_lsn chains without a gap). */
async function changesUntil(c: TestClient, lsn: number, from = 0): Promise<ServerChanges[]> {
  const out: ServerChanges[] = [];
  let at = from;
  while (at < lsn) {
    const f = await c.next();
    if (f.type !== 'server_changes') continue; // acks of its own frames
    expect(f.prev_lsn).withContext('gap-free').toBe(at);
    out.push(f);
    at = f.lsn;
  }
  return out;
}

describe('several nodes on one PostgreSQL', () => {
  let url: string;
  let a: SyncServer;
  let b: SyncServer;
  beforeEach(async () => {
    url = freshPgUrl();
    a = await startSyncServer({ host: '127.0.0.1', port: 0, db: url, schema: SCHEMA, logger: 'silent' });
    b = await startSyncServer({ host: '127.0.0.1', port: 0, db: url, schema: SCHEMA, logger: 'silent' });
  });
  afterEach(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('a client on node A sees a change from a client on node B, and both see one gap-free sequence', async () => {
    expect(b.serverId).toBe(a.serverId);
    const { c: onA } = await TestClient.handshake(a.url, 'on-a');
    const { c: onB } = await TestClient.handshake(b.url, 'on-b');
    const FRAMES = 15;
    // Both write at once, on their own node.
    for (let i = 0; i < FRAMES; i++) {
      onA.send({ type: 'client_change', changes: [todo(`a${i}`, `ta${i}`, 'from A')] });
      onB.send({ type: 'client_change', changes: [todo(`b${i}`, `tb${i}`, 'from B'), todo(`b${i}x`, `tb${i}`, 'again')] });
    }
    const total = FRAMES * 3;
    const [seenA, seenB] = await Promise.all([changesUntil(onA, total), changesUntil(onB, total)]);
    const lsns = (s: ServerChanges[]) => s.flatMap((f) => f.changes.map((ch) => `${ch.lsn}:${ch.change_id}`));
    expect(lsns(seenA)).toEqual(lsns(seenB));
    expect(lsns(seenA).length).toBe(total);
    expect(new Set(seenA.flatMap((f) => f.changes.map((ch) => ch.client_id)))).toEqual(new Set(['on-a', 'on-b']));
    expect(a.lsn()).toBe(total);
    await onA.close();
    await onB.close();
  });

  it('captures writes made straight into the tables (insert, update, key change, delete; one transaction) and sends them to the clients of every node', async () => {
    const { c: onA } = await TestClient.handshake(a.url, 'on-a');
    const { c: onB } = await TestClient.handshake(b.url, 'on-b');
    await onA.commit([todo('c1', 't1', 'by a client')]);
    expect((await changesUntil(onB, 1)).length).toBe(1);
    const schema = new URL(url).searchParams.get('schema')!;
    const direct = new pg.Client({ connectionString: process.env['RSW_PG_URL'] });
    await direct.connect();
    try {
      await direct.query(`SET search_path = ${schema}`);
      await direct.query(`INSERT INTO todos (id, title, done) VALUES ('d1', 'psql', 0)`);
      await direct.query(`UPDATE todos SET done = 1 WHERE id = 't1'`);
      await direct.query('BEGIN');
      await direct.query(`INSERT INTO counters (n, label) VALUES (7, 'seven'), (8, 'eight')`);
      await direct.query(`UPDATE todos SET id = 'd2' WHERE id = 'd1'`);
      await direct.query('COMMIT');
      await direct.query(`DELETE FROM counters WHERE n = 8`);
    } finally {
      await direct.end();
    }
    const want = [
      [2, 'todos', 'd1', 'insert', { id: 'd1', title: 'psql', done: 0 }],
      [3, 'todos', 't1', 'insert', { id: 't1', title: 'by a client', done: 1 }],
      [4, 'counters', '7', 'insert', { n: 7, label: 'seven' }],
      [5, 'counters', '8', 'insert', { n: 8, label: 'eight' }],
      [6, 'todos', 'd1', 'delete', null],
      [7, 'todos', 'd2', 'insert', { id: 'd2', title: 'psql', done: 0 }],
      [8, 'counters', '8', 'delete', null],
    ];
    for (const c of [onA, onB]) {
      const got = (await changesUntil(c, 8, 1)).flatMap((f) => f.changes);
      expect(got.map((ch) => [ch.lsn, ch.entity, ch.entity_id, ch.op, ch.data])).toEqual(want);
      expect(got.every((ch) => ch.client_id === DIRECT_CLIENT_ID && ch.change_id === `db-${ch.lsn}`)).toBeTrue();
    }
    // The captured changes are in the log like any other: a fresh client's snapshot has them.
    const { c: fresh } = await TestClient.handshake(b.url, 'fresh');
    fresh.send({ type: 'sync_request', from_lsn: 0 });
    const page = await fresh.next('sync_response');
    expect(page.complete).toBeTrue();
    expect(page.lsn).toBe(8);
    expect(page.changes.filter((ch) => ch.op === 'insert').map((ch) => `${ch.entity}/${ch.entity_id}`).sort()).toEqual(['counters/7', 'todos/d2', 'todos/t1']);
    // And a client change after them numbers on from there, on either node.
    expect((await onB.commit([todo('c2', 't2', 'after')])).acks[0]).toEqual({ change_id: 'c2', status: 'applied', lsn: 9 });
    await Promise.all([onA.close(), onB.close(), fresh.close()]);
  });
});
