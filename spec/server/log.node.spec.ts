/**
 * The durable log through real sockets: idempotent writes (dedupe by change_id), LSNs strictly
 * increasing and gap-free across restarts on the same file, last-writer-wins current state,
 * and per-change rejection with the current row while the rest of the frame applies.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { SyncServer } from '../../server/index.js';
import { TestClient, startServer, tempDir, todo } from './helpers.js';

describe('server: durable log', () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: SyncServer | null = null;
  beforeEach(() => (tmp = tempDir()));
  afterEach(async () => {
    await server?.close();
    server = null;
    tmp.cleanup();
  });

  it('acks a re-sent frame as duplicate with the original LSNs, and writes nothing twice', async () => {
    server = await startServer({ db: join(tmp.dir, 'a.sqlite') });
    const { c } = await TestClient.handshake(server.url, 'c1');
    const frame = [todo('ch-1', 'a', 'one'), todo('ch-2', 'b', 'two')];
    const first = await c.change(frame);
    expect(first.acks).toEqual([
      { change_id: 'ch-1', status: 'applied', lsn: 1 },
      { change_id: 'ch-2', status: 'applied', lsn: 2 },
    ]);
    await c.next('server_changes');
    const again = await c.change(frame);
    expect(again.acks).toEqual([
      { change_id: 'ch-1', status: 'duplicate', lsn: 1 },
      { change_id: 'ch-2', status: 'duplicate', lsn: 2 },
    ]);
    // The same change_id twice in ONE frame: the second is a duplicate of the first.
    const twice = await c.change([todo('ch-3', 'c', 'x'), todo('ch-3', 'c', 'x')]);
    expect(twice.acks.map((a) => a.status)).toEqual(['applied', 'duplicate']);
    const echo = await c.next('server_changes');
    expect(echo.changes.map((ch) => ch.change_id)).toEqual(['ch-3']); // nothing broadcast for duplicates
    expect(server.lsn()).toBe(3);
    await c.close();
  });

  it('keeps LSNs strictly increasing and gap-free across restarts on the same file', async () => {
    const file = join(tmp.dir, 'restart.sqlite');
    const seen: number[] = [];
    let serverId = '';
    for (let round = 0; round < 3; round++) {
      server = await startServer({ db: file });
      serverId ||= server.serverId;
      expect(server.serverId).toBe(serverId); // the log keeps its identity
      const { c, welcome } = await TestClient.handshake(server.url, `c${round}`);
      expect(welcome.server_lsn).toBe(seen.length);
      // A frame with a rejected change in the middle must not leave a hole.
      const ack = await c.change([todo(`r${round}-a`, `a${round}`, 't'), { change_id: `r${round}-bad`, entity: 'todos', entity_id: 'z', op: 'insert', data: { id: 'z', nope: 1 } }, todo(`r${round}-b`, `b${round}`, 't')]);
      for (const a of ack.acks) if (a.status === 'applied') seen.push(a.lsn);
      await c.close();
      await server.close();
      server = null;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT lsn FROM change_log ORDER BY lsn').pluck().all()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare("SELECT client_id FROM clients ORDER BY client_id").pluck().all()).toEqual(['c0', 'c1', 'c2']);
    db.close();
  });

  it('applies insert / partial update / upsert / delete, last writer by arrival wins', async () => {
    const file = join(tmp.dir, 'state.sqlite');
    server = await startServer({ db: file });
    const { c } = await TestClient.handshake(server.url, 'c1');
    await c.commit([todo('1', 'a', 'first', 0)]);
    await c.commit([{ change_id: '2', entity: 'todos', entity_id: 'a', op: 'update', data: { done: 1 } }]);
    await c.commit([{ change_id: '3', entity: 'todos', entity_id: 'new', op: 'update', data: { title: 'upserted' } }]);
    await c.commit([todo('4', 'gone', 'x'), { change_id: '5', entity: 'todos', entity_id: 'gone', op: 'delete', data: null }]);
    await c.commit([todo('6', 'b', 'older'), todo('7', 'b', 'newer', 1)]);
    await c.close();
    await server.close();
    server = null;
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT id, title, done FROM todos ORDER BY id').all()).toEqual([
      { id: 'a', title: 'first', done: 1 },
      { id: 'b', title: 'newer', done: 1 },
      { id: 'new', title: 'upserted', done: null },
    ]);
    const log = db.prepare('SELECT lsn, change_id, client_id, entity, entity_id, op, data FROM change_log WHERE lsn = 2').get();
    expect(log).toEqual({ lsn: 2, change_id: '2', client_id: 'c1', entity: 'todos', entity_id: 'a', op: 'update', data: '{"done":1}' });
    db.close();
  });

  it('rejects a change that breaks the schema, a constraint or a permission, with the current row; the rest applies', async () => {
    server = await startServer({ permit: (ch) => (ch.entity_id === 'locked' ? 'row is locked' : null) });
    const { c } = await TestClient.handshake(server.url, 'c1');
    await c.change([todo('seed', 'a', 'kept', 0)]);
    await c.next('server_changes');
    const ack = await c.change([
      { change_id: 'bad-type', entity: 'todos', entity_id: 'a', op: 'update', data: { done: 'yes' } },
      { change_id: 'good', entity: 'todos', entity_id: 'b', op: 'insert', data: { id: 'b', title: 'ok', done: 0 } },
      { change_id: 'unknown-table', entity: 'nothere', entity_id: 'x', op: 'delete', data: null },
      { change_id: 'mismatch', entity: 'counters', entity_id: 'abc', op: 'update', data: { label: 'x' } },
      { change_id: 'denied', entity: 'todos', entity_id: 'locked', op: 'delete', data: null },
    ]);
    const [badType, good, unknownTable, mismatch, denied] = ack.acks;
    expect(badType).toEqual(jasmine.objectContaining({ status: 'rejected', code: 'schema_error', row: { id: 'a', title: 'kept', done: 0 } }));
    expect(good).toEqual({ change_id: 'good', status: 'applied', lsn: 2 });
    expect(unknownTable).toEqual(jasmine.objectContaining({ status: 'rejected', code: 'schema_error', row: null }));
    // A text key on an INTEGER key column is refused by the schema check, before SQLite would.
    expect(mismatch).toEqual(jasmine.objectContaining({ status: 'rejected', code: 'schema_error', row: null }));
    expect((mismatch as { reason: string }).reason).toMatch(/canonical text of an INTEGER key/);
    expect(denied).toEqual(jasmine.objectContaining({ status: 'rejected', code: 'change_rejected', reason: 'permission denied: row is locked', row: null }));
    const echo = await c.next('server_changes');
    expect(echo).toEqual({ type: 'server_changes', prev_lsn: 1, lsn: 2, changes: [jasmine.objectContaining({ change_id: 'good', lsn: 2 })] });
    expect(server.lsn()).toBe(2);
    await c.close();
  });

  it('records the acked LSN of a client', async () => {
    const file = join(tmp.dir, 'ack.sqlite');
    server = await startServer({ db: file });
    const { c } = await TestClient.handshake(server.url, 'acker');
    await c.change([todo('1', 'a', 'x'), todo('2', 'b', 'y')]);
    await c.next('server_changes');
    c.send({ type: 'ack', lsn: 2 });
    c.send({ type: 'ack', lsn: 1 }); // never moves backwards
    c.send({ type: 'ack', lsn: 99 }); // beyond the log: refused, said so
    const err = await c.next('error');
    expect(err).toEqual(jasmine.objectContaining({ code: 'protocol_error', lsn: 2 }));
    c.send({ type: 'ping', t: 7 });
    expect(await c.next('pong')).toEqual({ type: 'pong', t: 7 });
    await c.close();
    await server.close();
    server = null;
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT acked_lsn FROM clients WHERE client_id = ?').pluck().get('acker')).toBe(2);
    db.close();
  });

  it('rolls a whole frame back when the server itself fails, keeping LSNs gap-free', async () => {
    server = await startServer({
      permit: (ch) => {
        if (ch.entity_id === 'boom') throw new Error('permission service down');
        return null;
      },
    });
    const { c } = await TestClient.handshake(server.url, 'c1');
    c.send({ type: 'client_change', changes: [todo('ok-1', 'a', 'x'), todo('fails', 'boom', 'x')] });
    expect(await c.next('error')).toEqual(jasmine.objectContaining({ code: 'server_transient', retryable: true, change_ids: ['ok-1', 'fails'] }));
    expect(server.lsn()).toBe(0); // ok-1 was rolled back with the frame
    const ack = await c.commit([todo('ok-1', 'a', 'x'), todo('ok-2', 'b', 'y')]);
    expect(ack.acks).toEqual([
      { change_id: 'ok-1', status: 'applied', lsn: 1 },
      { change_id: 'ok-2', status: 'applied', lsn: 2 },
    ]);
    await c.close();
  });
});
