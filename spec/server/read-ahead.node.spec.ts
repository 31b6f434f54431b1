/**
 * Catch-up pages read ahead (server/read-ahead.ts), through a real server and socket (SQLite in
 * the node pass, PostgreSQL in the PostgreSQL pass): after a page that says more follows, the
 * server reads the next page before the client asks (the first one at the hello), serves it when
 * asked, and what the client ends with is still exactly the server's rows, also when a row
 * changes after its page was read.
 */
import type { ServerChange, ServerFrame } from '../../lib/protocol/index.js';
import type { SyncServer } from '../../server/index.js';
import { PgStorage } from '../../server/storage/postgres.js';
import { SqliteStorage } from '../../server/storage/sqlite.js';
import { eventually } from '../support/wait.js';
import { startServer, TestClient, todo } from './helpers.js';

type Response = Extract<ServerFrame, { type: 'sync_response' }>;

describe('catch-up pages read ahead (real server)', () => {
  let server: SyncServer;
  let clients: TestClient[];
  let reads: jasmine.Spy[];
  /** The `from` and `cursor` arguments of every page read so far. */
  const readArgs = (): [number, number | undefined][] =>
    reads.flatMap((s) => s.calls.all().map((c): [number, number | undefined] => [c.args[0] as number, c.args[3] as number | undefined]));

  beforeEach(async () => {
    server = await startServer({ pageSize: 10 });
    clients = [];
    reads = [spyOn(SqliteStorage.prototype, 'readPage').and.callThrough(), spyOn(PgStorage.prototype, 'readPage').and.callThrough()];
  });
  afterEach(async () => {
    for (const c of clients) await c.close();
    await server.close();
  });

  const connect = async (id: string, lastLsn = 0): Promise<TestClient> => {
    const { c } = await TestClient.handshake(server.url, id, { last_lsn: lastLsn });
    clients.push(c);
    return c;
  };

  it('a snapshot: the next page is read before the request and served on it; a row changed after its read still ends right', async () => {
    const writer = await connect('writer');
    await writer.commit(Array.from({ length: 30 }, (_, i) => todo(`c${i}`, `t${String(i).padStart(2, '0')}`, `v0 ${i}`)));
    const reader = await connect('reader');
    // Behind at the hello: the first page is read while the welcome travels.
    await eventually(() => readArgs().length === 1, 'page 1 read ahead at the hello');
    const rows = new Map<string, Record<string, unknown>>();
    const apply = (changes: readonly ServerChange[]) => {
      for (const c of changes) {
        if (c.op === 'delete') rows.delete(c.entity_id);
        else rows.set(c.entity_id, { ...(c.op === 'update' ? rows.get(c.entity_id) : {}), ...c.data });
      }
    };
    reader.send({ type: 'sync_request', from_lsn: 0 });
    const first = await reader.next('sync_response');
    apply(first.changes);
    expect(first.cursor).toBe(10);
    // Page 2 is read without a request...
    await eventually(() => readArgs().length === 2, 'page 2 read ahead');
    expect(readArgs()).toEqual([[0, undefined], [0, 10]]);
    // ...a row of page 2 changes after that read (its newer version goes to a later page)...
    await writer.commit([{ change_id: 'late', entity: 'todos', entity_id: 't12', op: 'update', data: { title: 'late' } }]);
    // ...and the request for page 2 is served from it: no read on request, only the read-ahead of page 3.
    let last: Response = first;
    const live: ServerChange[] = [];
    while (!last.complete) {
      reader.send({ type: 'sync_request', from_lsn: 0, cursor: last.cursor });
      let frame = await reader.next();
      while (frame.type === 'server_changes') {
        live.push(...frame.changes);
        frame = await reader.next();
      }
      if (frame.type !== 'sync_response') throw new Error(`unexpected ${frame.type}`);
      last = frame;
      apply(last.changes);
    }
    expect(readArgs().filter(([, cursor]) => cursor === undefined).length).withContext('page 1 read once').toBe(1);
    expect(readArgs().filter(([, cursor]) => cursor === 10).length).withContext('page 2 read once').toBe(1);
    expect(readArgs().filter(([, cursor]) => cursor === 20).length).withContext('page 3 read once').toBe(1);
    apply(live.filter((c) => c.lsn > last.lsn));
    expect(rows.size).toBe(30);
    expect(rows.get('t12')).toEqual({ id: 't12', title: 'late', done: 0 });
    for (let i = 0; i < 30; i++) if (i !== 12) expect(rows.get(`t${String(i).padStart(2, '0')}`)).toEqual({ id: `t${String(i).padStart(2, '0')}`, title: `v0 ${i}`, done: 0 });
  });

  it('the log: the page after an incomplete one is read ahead; a request for another page reads that one', async () => {
    const writer = await connect('writer');
    for (let f = 0; f < 3; f++) await writer.commit(Array.from({ length: 10 }, (_, i) => todo(`c${f}-${i}`, `t${f}-${i}`, 'x')));
    const reader = await connect('reader', 1);
    reader.send({ type: 'sync_request', from_lsn: 1 });
    const first = await reader.next('sync_response');
    expect([first.lsn, first.complete]).toEqual([11, false]);
    await eventually(() => readArgs().length === 2, 'the next log page read ahead');
    expect(readArgs()).toEqual([[1, undefined], [11, undefined]]);
    // Not the page read ahead (another limit): read on request; the one read ahead is dropped.
    reader.send({ type: 'sync_request', from_lsn: 11, limit: 5 });
    const other = await reader.next('sync_response');
    expect(other.changes.map((c) => c.lsn)).toEqual([12, 13, 14, 15, 16]);
    expect(readArgs().slice(0, 3)).toEqual([[1, undefined], [11, undefined], [11, undefined]]);
  });
});
