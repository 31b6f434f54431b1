/**
 * Regression, end to end (see regression-null-key.spec.ts): a server change that set a key to
 * null used to stall the client's downstream forever. Refusing the whole frame at the boundary
 * (the first fix) only moved the stall: a real server replays its log as it is, so the SAME poison
 * comes again on every catch-up and the client's LSN never passes it. Now (issue 14) the change
 * is quarantined, the LSN moves past it, its row is fetched again from the server, and the
 * replayed poison is a stale batch.
 */
import { ErrorCodes } from '../../lib/errors.js';
import type { ServerChange } from '../../lib/protocol/index.js';
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

  it('quarantines it, moves the LSN past it, re-fetches its row, and skips the SAME poison when the server replays it', async () => {
    await waitFor(c.client.status$, (s) => s.connection === 'synced', 'synced');
    const poison: ServerChange = { lsn: 1, change_id: 'p1', client_id: 'x', entity: 'notes', entity_id: 'n', op: 'update', data: { id: null } };
    server.log.push(poison);
    server.options.rows = { 'notes/n': { id: 'n', body: 'as the server has it', rank: 2 } };
    const quarantined = waitFor(c.client.errors$, (e) => e.code === ErrorCodes.QUARANTINED, 'quarantine of the poison');
    const frame = { type: 'server_changes', prev_lsn: 0, lsn: 1, changes: [poison] };
    server.send(frame);
    expect((await quarantined).change_id).toBe('p1');
    await waitFor(c.client.status$, (s) => s.lsn === 1, 'LSN past the poison');
    await server.next((f) => f.type === 'fetch_rows', 'fetch_rows for the poisoned row');
    await waitFor(c.client.query$('SELECT id, body, rank FROM notes'), (r) => r.length === 1, 'row fetched');
    expect(await c.client.query('SELECT id, body, rank FROM notes')).toEqual([{ id: 'n', body: 'as the server has it', rank: 2 }]);
    // The server replays the same change (as after a reconnect): stale now, nothing stalls.
    server.send(frame);
    server.log.push({ lsn: 2, change_id: 'ok2', client_id: 'x', entity: 'todos', entity_id: 't', op: 'insert', data: { id: 't', title: 'fine', done: 0 } });
    server.send({ type: 'server_changes', prev_lsn: 1, lsn: 2, changes: [server.log[1]] });
    await waitFor(c.client.status$, (s) => s.lsn === 2, 'the next batch applied');
    expect(await c.client.query('SELECT id FROM todos')).toEqual([{ id: 't' }]);
    expect((await c.client.quarantinedChanges()).map((q) => [q.lsn, q.change_id])).toEqual([[1, 'p1']]);
    // A reconnect says hello from past the poison: the server never has to send it again.
    const before = server.received.length;
    server.drop();
    const hello = await server.next((f) => f.type === 'hello', 'hello after the drop', before);
    expect(hello).toEqual(jasmine.objectContaining({ last_lsn: 2 }));
  });
});
