/**
 * Issue 14: `fetch_rows { entity, ids }` -> `rows { entity, lsn, rows }`, the server half of
 * re-fetching a row the client could not apply (or whose local change it discarded). Real
 * server, real sockets (also run on PostgreSQL by `npm test`).
 */
import { signToken, type SyncServer } from '../../server/index.js';
import { NOTES_SCHEMA, SECRET, handshakeScoped, notesAccess } from './access/notes-app.js';
import { startServer, TestClient, todo } from './helpers.js';

describe('server: fetch_rows', () => {
  let server: SyncServer;
  afterEach(async () => server.close());

  it('answers the current rows (null for a missing one) with the LSN read before them', async () => {
    server = await startServer();
    const { c } = await TestClient.handshake(server.url, 'c1');
    await c.commit([todo('c1-1', 'a', 'one'), todo('c1-2', 'b', 'two')]);
    await c.commit([{ change_id: 'c1-3', entity: 'todos', entity_id: 'a', op: 'update', data: { title: 'one, edited' } }]);
    c.send({ type: 'fetch_rows', entity: 'todos', ids: ['a', 'missing'] });
    expect(await c.next('rows')).toEqual({
      type: 'rows', entity: 'todos', lsn: 3,
      rows: [{ id: 'a', row: { id: 'a', title: 'one, edited', done: 0 } }, { id: 'missing', row: null }],
    });
    await c.close();
  });

  it('passes each row through the rejectedRow hook (access control may hide it)', async () => {
    server = await startServer({ rejectedRow: (_change, _who, row) => (row && row['title'] === 'secret' ? null : row) });
    const { c } = await TestClient.handshake(server.url, 'c1');
    await c.commit([todo('c1-1', 's', 'secret'), todo('c1-2', 'p', 'public')]);
    c.send({ type: 'fetch_rows', entity: 'todos', ids: ['s', 'p'] });
    const rows = await c.next('rows');
    expect(rows.rows).toEqual([{ id: 's', row: null }, { id: 'p', row: { id: 'p', title: 'public', done: 0 } }]);
    await c.close();
  });

  it('with access rules, a row the caller may not read is answered as null (no other user\'s row leaks)', async () => {
    server = await startServer({ schema: NOTES_SCHEMA, auth: { secret: SECRET }, access: notesAccess() });
    const token = (sub: string) => signToken(SECRET, { sub, exp: Math.floor(Date.now() / 1000) + 3600 });
    const { c: alice } = await handshakeScoped(server.url, 'alice-device', { token: token('alice') });
    await alice.commit([{ change_id: 'a1', entity: 'notes', entity_id: 'n-alice', op: 'insert', data: { id: 'n-alice', owner: 'alice', text: 'secret' } }]);
    const { c: bob } = await handshakeScoped(server.url, 'bob-device', { token: token('bob') });
    bob.send({ type: 'fetch_rows', entity: 'notes', ids: ['n-alice'] });
    let rows = await bob.next();
    while (rows.type !== 'rows') rows = await bob.next();
    expect(rows.rows).toEqual([{ id: 'n-alice', row: null }]);
    alice.send({ type: 'fetch_rows', entity: 'notes', ids: ['n-alice'] });
    let own = await alice.next();
    while (own.type !== 'rows') own = await alice.next();
    expect(own.rows).toEqual([{ id: 'n-alice', row: { id: 'n-alice', owner: 'alice', text: 'secret' } }]);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('refuses a frame without ids (decoded at the boundary)', async () => {
    server = await startServer();
    const { c } = await TestClient.handshake(server.url, 'c1');
    c.send({ type: 'fetch_rows', entity: 'todos', ids: [] });
    expect(await c.next('error')).toEqual(jasmine.objectContaining({ code: 'protocol_error' }));
    await c.close();
  });
});
