/**
 * The real client (in-process, `ws`) against a server with access rules: a stream that skips the
 * LSNs of changes its user may not see is not taken for a lost batch (no hold, no catch-up
 * request), and the client's position still moves to the server's.
 */
import { createSyncClient, type SyncClient } from '../../../lib/index.js';
import { createLogger, signToken, type SyncServer } from '../../../server/index.js';
import { waitFor } from '../../support/wait.js';
import { TestClient, startServer } from '../helpers.js';
import { NOTES_SCHEMA, SECRET, notesAccess, handshakeScoped } from './notes-app.js';

const token = (sub: string, admin = false) => signToken(SECRET, { sub, exp: Math.floor(Date.now() / 1000) + 3600, ...(admin ? { admin: true } : {}) });

describe('access rules: the real client and a filtered stream', () => {
  let server: SyncServer;
  const clients: SyncClient[] = [];
  const raws: TestClient[] = [];

  let requests: string[];

  beforeEach(async () => {
    requests = [];
    const logger = createLogger('debug', (line) => {
      if (line.includes('sync_request') && line.includes('bob-device')) requests.push(line);
    });
    server = await startServer({ schema: NOTES_SCHEMA, auth: { secret: SECRET }, access: notesAccess(), logger });
    const { c: root } = await handshakeScoped(server.url, 'root-device', { token: token('root', true) });
    raws.push(root);
    await root.commit([
      { change_id: 'm1', entity: 'members', entity_id: 'm-bob', op: 'insert', data: { id: 'm-bob', user: 'bob', team: 't1' } },
      { change_id: 'm2', entity: 'members', entity_id: 'm-dave', op: 'insert', data: { id: 'm-dave', user: 'dave', team: 't1' } },
    ]);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await Promise.all(raws.splice(0).map((c) => c.close()));
    await server.close();
  });

  it('applies each filtered frame as the next batch: no gap, no page, position at the server LSN', async () => {
    const bob = createSyncClient({ url: server.url, clientId: 'bob-device', schema: NOTES_SCHEMA, worker: false, storage: 'memory', token: () => token('bob'), backoff: { initialDelay: 10, maxDelay: 100 } });
    clients.push(bob);
    await bob.ready;
    await waitFor(bob.status$, (s) => s.connection === 'synced' && s.lsn === server.lsn(), 'bob synced');
    const asked = requests.length;

    const { c: alice } = await handshakeScoped(server.url, 'alice-device', { token: token('alice') });
    raws.push(alice);
    for (let i = 0; i < 3; i++) await alice.commit([{ change_id: `a${i}`, entity: 'notes', entity_id: `n${i}`, op: 'insert', data: { id: `n${i}`, owner: 'alice', text: 'private' } }]);
    const { c: dave } = await handshakeScoped(server.url, 'dave-device', { token: token('dave') });
    raws.push(dave);
    const ack = await dave.commit([{ change_id: 'd1', entity: 'items', entity_id: 'i1', op: 'insert', data: { id: 'i1', list: 'l', team: 't1', text: 'for team 1' } }]);

    expect(ack.acks[0]!.status).toBe('applied');
    await waitFor(bob.status$, (s) => s.lsn === server.lsn(), 'bob at the server lsn');
    const rows = await bob.query('SELECT id FROM items UNION ALL SELECT id FROM notes');
    expect(rows).toEqual([{ id: 'i1' }]);
    // A gap would have been held and filled with a catch-up request.
    expect(requests.length).toBe(asked);
  });
});
