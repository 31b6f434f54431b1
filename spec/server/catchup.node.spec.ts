/**
 * Pull-based catch-up: `sync_request { from_lsn, limit? }` -> ONE `sync_response` page of the
 * changes after from_lsn, at most the page size (capped further by limit), `lsn` = last in the
 * page, `complete` = nothing after it. A client ahead of the server is told so, never silently.
 */
import type { SyncServer } from '../../server/index.js';
import { TestClient, startServer, todo } from './helpers.js';

describe('server: catch-up', () => {
  let server: SyncServer;
  let writer: TestClient;
  beforeEach(async () => {
    server = await startServer({ pageSize: 4 });
    ({ c: writer } = await TestClient.handshake(server.url, 'writer'));
    // 10 changes: LSN 1..10
    await writer.commit(Array.from({ length: 10 }, (_, i) => todo(`w${i + 1}`, `id${i + 1}`, `t${i + 1}`)));
  });
  afterEach(async () => {
    await writer.close();
    await server.close();
  });

  it('pages from 0 to the end as a snapshot (current rows, cursor between pages), page size from the server, in LSN order', async () => {
    const { c, welcome } = await TestClient.handshake(server.url, 'reader', { last_lsn: 0 });
    expect(welcome).toEqual({ type: 'welcome', server_lsn: 10, server_id: server.serverId, page_size: 4, schema_version: 1 });
    const pages = [];
    let cursor: number | undefined;
    for (;;) {
      c.send(cursor === undefined ? { type: 'sync_request', from_lsn: 0 } : { type: 'sync_request', from_lsn: 0, cursor });
      const page = await c.next('sync_response');
      pages.push(page);
      expect(page.from_lsn).toBe(0);
      cursor = page.cursor;
      if (page.complete) break;
    }
    // A snapshot page that is not the last keeps lsn = from_lsn (0) and names its cursor; the last one has lsn = the snapshot's LSN.
    expect(pages.map((p) => [p.from_lsn, p.lsn, p.changes.length, p.complete, p.cursor])).toEqual([
      [0, 0, 4, false, 4],
      [0, 0, 4, false, 8],
      [0, 10, 2, true, undefined],
    ]);
    const all = pages.flatMap((p) => p.changes);
    expect(all.map((ch) => ch.lsn)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(all[0]).toEqual({ lsn: 1, change_id: 'w1', client_id: 'rsw:snapshot', entity: 'todos', entity_id: 'id1', op: 'insert', data: { id: 'id1', title: 't1', done: 0 } });
    await c.close();
  });

  it('pages from a non-zero LSN follow the exact log', async () => {
    const { c } = await TestClient.handshake(server.url, 'reader', { last_lsn: 1 });
    await writer.commit([{ change_id: 'u1', entity: 'todos', entity_id: 'id2', op: 'update', data: { done: 1 } }]);
    await c.next('server_changes'); // the live broadcast of u1
    c.send({ type: 'sync_request', from_lsn: 8 });
    const page = await c.next('sync_response');
    expect(page.changes.map((ch) => [ch.lsn, ch.change_id, ch.op])).toEqual([[9, 'w9', 'insert'], [10, 'w10', 'insert'], [11, 'u1', 'update']]);
    expect([page.lsn, page.complete, page.cursor]).toEqual([11, true, undefined]);
    await c.close();
  });

  it('pages from the middle, honours a smaller limit, and answers an empty complete page at the head', async () => {
    const { c } = await TestClient.handshake(server.url, 'reader', { last_lsn: 6 });
    c.send({ type: 'sync_request', from_lsn: 6, limit: 3 });
    const page = await c.next('sync_response');
    expect(page.changes.map((ch) => ch.lsn)).toEqual([7, 8, 9]);
    expect([page.lsn, page.complete]).toEqual([9, false]);
    c.send({ type: 'sync_request', from_lsn: 9, limit: 100 }); // capped by the page size (4): 1 left
    expect(await c.next('sync_response')).toEqual(jasmine.objectContaining({ from_lsn: 9, lsn: 10, complete: true }));
    c.send({ type: 'sync_request', from_lsn: 10 });
    expect(await c.next('sync_response')).toEqual({ type: 'sync_response', from_lsn: 10, lsn: 10, changes: [], complete: true });
    await c.close();
  });

  it('tells a client that is ahead (hello or sync_request) with client_ahead and the server LSN', async () => {
    const c = await TestClient.open(server.url);
    c.send({ type: 'hello', protocol: 1, client_id: 'restored', last_lsn: 50 });
    expect(await c.next('error')).toEqual(jasmine.objectContaining({ code: 'client_ahead', lsn: 10 }));
    // The connection stays open: after resetting, the client says hello again from 0.
    c.send({ type: 'hello', protocol: 1, client_id: 'restored', last_lsn: 0 });
    expect(await c.next('welcome')).toEqual(jasmine.objectContaining({ server_lsn: 10 }));
    c.send({ type: 'sync_request', from_lsn: 11 });
    expect(await c.next('error')).toEqual(jasmine.objectContaining({ code: 'client_ahead', lsn: 10 }));
    await c.close();
  });
});
