/**
 * Hostile and broken input: frames that are not JSON, of an unknown type, with prototype keys,
 * with SQL in names, too big, too many changes; too fast ones are paced, not dropped. Each bad one gets an `error` frame (and, for
 * size or a bad start, a close); the server keeps serving, other clients go on, data is unchanged.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { SyncServer } from '../../server/index.js';
import { TestClient, startServer, tempDir, todo } from './helpers.js';

describe('server: hostile frames', () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: SyncServer;
  let file: string;
  let good: TestClient;
  let clock: number;
  const snapshot = () => {
    const db = new Database(file, { readonly: true });
    try {
      return {
        todos: db.prepare('SELECT * FROM todos ORDER BY id').all(),
        log: db.prepare('SELECT lsn, change_id FROM change_log ORDER BY lsn').all(),
        tables: db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all(),
      };
    } finally {
      db.close();
    }
  };

  beforeEach(async () => {
    tmp = tempDir();
    file = join(tmp.dir, 'hostile.sqlite');
    clock = 1_000_000;
    server = await startServer({ db: file, now: () => clock, limits: { maxChangesPerFrame: 3, framesPerSecond: 50, frameBurst: 50 } });
    ({ c: good } = await TestClient.handshake(server.url, 'good'));
    await good.commit([todo('seed-1', 'a', 'kept'), todo('seed-2', 'b', 'kept too')]);
  });
  afterEach(async () => {
    await good.close();
    await server.close();
    tmp.cleanup();
  });

  /** The well-behaved client can still write, and everyone saw exactly the seed before. */
  async function stillServing(before: ReturnType<typeof snapshot>): Promise<void> {
    expect(snapshot()).toEqual(before);
    const ack = await good.commit([todo('after', 'c', 'still here')]);
    expect(ack.acks).toEqual([{ change_id: 'after', status: 'applied', lsn: 3 }]);
  }

  it('answers malformed frames with protocol_error and keeps the connection', async () => {
    const before = snapshot();
    const { c } = await TestClient.handshake(server.url, 'evil');
    const hostile = [
      'not json at all {',
      '[1,2,3]',
      '{"type":"drop_tables"}',
      '{"type":"client_change","changes":[{"change_id":"p","entity":"todos","entity_id":"a","op":"insert","data":{"__proto__":{"polluted":1},"id":"a"}}]}',
      '{"type":"ping","constructor":{"prototype":{"polluted":1}}}',
      JSON.stringify({ type: 'client_change', changes: [{ change_id: 'sql', entity: 'todos"; DROP TABLE todos; --', entity_id: 'a', op: 'delete', data: null }] }),
      JSON.stringify({ type: 'client_change', changes: [{ change_id: 'x', entity: 'todos', entity_id: 'a', op: 'upsert', data: null }] }),
      JSON.stringify({ type: 'sync_request', from_lsn: -1 }),
      JSON.stringify({ type: 'hello', protocol: 1, client_id: 'evil', last_lsn: 0 }), // twice
    ];
    for (const frame of hostile) {
      c.send(frame);
      const err = await c.next('error');
      expect(err.code).withContext(frame.slice(0, 60)).toBe('protocol_error');
      expect(err.message.length).toBeGreaterThan(0);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    c.send({ type: 'ping', t: 1 });
    expect(await c.next('pong')).toEqual({ type: 'pong', t: 1 }); // connection kept
    await stillServing(before);
    await c.close();
  });

  it('rejects SQL in column names per change and stores SQL in values as plain data', async () => {
    const { c } = await TestClient.handshake(server.url, 'evil');
    const ack = await c.commit([
      { change_id: 'col', entity: 'todos', entity_id: 'a', op: 'update', data: { 'title"; DROP TABLE todos; --': 'x' } },
      { change_id: 'val', entity: 'todos', entity_id: "z'; DROP TABLE todos; --", op: 'insert', data: { id: "z'; DROP TABLE todos; --", title: '"); DELETE FROM change_log; --', done: 0 } },
    ]);
    expect(ack.acks[0]).toEqual(jasmine.objectContaining({ status: 'rejected', code: 'schema_error', row: { id: 'a', title: 'kept', done: 0 } }));
    expect(ack.acks[1]).toEqual({ change_id: 'val', status: 'applied', lsn: 3 });
    const after = snapshot();
    expect(after.tables).toEqual(['change_log', 'clients', 'counters', 'rsw_row_versions', 'server_meta', 'todos']);
    expect(after.log.length).toBe(3);
    expect(after.todos).toContain({ id: "z'; DROP TABLE todos; --", title: '"); DELETE FROM change_log; --', done: 0 });
    await c.close();
  });

  it('closes a 64 MiB frame with an error and 1009; the server and other clients go on', async () => {
    const before = snapshot();
    const { c } = await TestClient.handshake(server.url, 'big');
    c.send(JSON.stringify({ type: 'client_change', changes: [todo('huge', 'h', 'x'.repeat(64 * 1024 * 1024))] }));
    const closed = await c.closed;
    expect(closed.code).toBe(1009);
    expect(c.received.map((f) => f.type)).toEqual(['welcome', 'error']);
    expect(c.received[1]).toEqual(jasmine.objectContaining({ code: 'limit_exceeded' }));
    await stillServing(before);
  });

  it('refuses a frame with too many changes, applying none of them', async () => {
    const before = snapshot();
    const { c } = await TestClient.handshake(server.url, 'many');
    c.send({ type: 'client_change', changes: [1, 2, 3, 4].map((i) => todo(`m${i}`, `m${i}`, 'x')) });
    expect(await c.next('error')).toEqual(jasmine.objectContaining({ code: 'limit_exceeded' }));
    expect(snapshot()).toEqual(before);
    expect((await c.commit([todo('m1', 'm1', 'x')])).acks[0]!.status).toBe('applied'); // three or fewer: fine
    await c.close();
  });

  it('paces the frame rate per connection with a token bucket on the injected clock: over the rate frames wait, none is dropped', async () => {
    const { c } = await TestClient.handshake(server.url, 'fast'); // hello took 1 of 50 tokens
    for (let i = 0; i < 52; i++) c.send({ type: 'ping', t: i });
    const first = await c.nextN(50); // 49 tokens, then one more into debt
    expect(first.map((f) => f.type === 'pong' && f.t)).toEqual([...Array(50).keys()]);
    // The clock stands still: the rest waits (a bounded look: nothing in 200 ms).
    await expectAsync(c.next(undefined, 200)).toBeRejectedWithError(/no frame/);
    clock += 100; // 0.1 s at 50/s: 5 tokens back
    const later = await c.nextN(2);
    expect(later).toEqual([
      { type: 'pong', t: 50 },
      { type: 'pong', t: 51 },
    ]);
    await c.close();
  });

  it('closes with 4400 a connection that does not start with a good hello, sending no data', async () => {
    for (const first of ['garbage', JSON.stringify({ type: 'sync_request', from_lsn: 0 }), JSON.stringify({ type: 'hello', protocol: 99, client_id: 'x', last_lsn: 0 }),
      // The server's own entries carry `rsw:` ids (snapshot rows, direct database writes): reserved.
      JSON.stringify({ type: 'hello', protocol: 1, client_id: 'rsw:snapshot', last_lsn: 0 }), JSON.stringify({ type: 'hello', protocol: 1, client_id: 'rsw:db', last_lsn: 0 })]) {
      const c = await TestClient.open(server.url);
      c.send(first);
      const closed = await c.closed;
      expect(closed.code).withContext(first).toBe(4400);
      expect(c.received.map((f) => f.type)).withContext(first).toEqual(['error']);
      expect(c.received[0]).toEqual(jasmine.objectContaining({ code: 'protocol_error' }));
    }
    await stillServing(snapshot());
  });
});
