/**
 * Regression (issue 14, point 5): a client answered every applied server batch with its own
 * `ack` frame, so under heavy fan-in its acks alone were as many frames as the batches it got
 * (and they counted against the server's frame rate). Acks are coalesced now (ackDelay, the
 * latest LSN). Real client, real sockets, a scripted server that sends 100 batches at once.
 */
import type { ServerChange } from '../../lib/protocol/index.js';
import { waitFor } from '../support/wait.js';
import { ScriptedServer } from './support/scripted-server.js';
import { TrackedClient } from './support/tracked-client.js';

describe('regression: one ack frame per server batch', () => {
  let server: ScriptedServer;
  let c: TrackedClient;
  beforeEach(async () => {
    server = await ScriptedServer.start();
    c = new TrackedClient('fan-in', server.url);
  });
  afterEach(async () => {
    await c.close();
    await server.close();
  });

  it('100 batches arriving together are acked with a few frames, the last carrying the latest LSN', async () => {
    await waitFor(c.client.status$, (s) => s.connection === 'synced', 'synced');
    const before = server.received.length;
    for (let lsn = 1; lsn <= 100; lsn++) {
      const change: ServerChange = { lsn, change_id: `s${lsn}`, client_id: 'writer', entity: 'todos', entity_id: `t${lsn % 7}`, op: 'insert', data: { id: `t${lsn % 7}`, title: `v${lsn}`, done: 0 } };
      server.log.push(change);
      server.send({ type: 'server_changes', prev_lsn: lsn - 1, lsn, changes: [change] });
    }
    await waitFor(c.client.status$, (s) => s.lsn === 100, 'all applied');
    await server.next((f) => f.type === 'ack' && f.lsn === 100, 'the ack of lsn 100', before);
    const acks = server.received.slice(before).filter((f) => f.type === 'ack');
    expect(acks.length).toBeLessThan(10);
    expect(acks[acks.length - 1]).toEqual({ type: 'ack', lsn: 100 });
  });
});
