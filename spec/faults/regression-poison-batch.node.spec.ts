/**
 * Regression, end to end (see regression-null-key.spec.ts): a server batch that set a key to
 * null used to stall the client's downstream forever; now the frame is refused at the boundary
 * and the next valid batch applies on the same connection.
 */
import { ErrorCodes } from '../../lib/errors.js';
import { waitFor } from '../support/wait.js';
import { ScriptedServer } from './support/scripted-server.js';
import { TrackedClient } from './support/tracked-client.js';

describe('regression: a poison batch (null key) does not stall the client', () => {
  let server: ScriptedServer;
  let c: TrackedClient;
  beforeEach(async () => {
    server = await ScriptedServer.start();
    c = new TrackedClient('poisoned', server.url);
  });
  afterEach(async () => {
    await c.close();
    await server.close();
  });

  it('refuses it with a protocol error and applies the next valid batch', async () => {
    await waitFor(c.client.status$, (s) => s.connection === 'synced', 'synced');
    const refused = waitFor(c.client.errors$, (e) => e.code === ErrorCodes.PROTOCOL, 'protocol error for the poison batch');
    server.send({ type: 'server_changes', prev_lsn: 0, lsn: 1, changes: [{ lsn: 1, change_id: 'p1', client_id: 'x', entity: 'notes', entity_id: 'n', op: 'update', data: { id: null } }] });
    await refused;
    server.send({ type: 'server_changes', prev_lsn: 0, lsn: 1, changes: [{ lsn: 1, change_id: 'ok1', client_id: 'x', entity: 'todos', entity_id: 't', op: 'insert', data: { id: 't', title: 'fine', done: 0 } }] });
    await waitFor(c.client.status$, (s) => s.lsn === 1, 'valid batch applied');
    expect(await c.client.query('SELECT id FROM todos')).toEqual([{ id: 't' }]);
    expect(server.received.filter((f) => f.type === 'hello').length).toBe(1);
  });
});
