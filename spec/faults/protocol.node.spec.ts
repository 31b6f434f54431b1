/**
 * Protocol faults from a scripted server, against a real in-process client: a duplicated batch,
 * batch lsn 7 before 6, a batch whose prev_lsn skips, an ack for an unknown change_id, and a
 * server whose LSN is behind the client's. The client applies each change once, in LSN order,
 * its LSN never goes backwards, it never crashes, and its connection goes on.
 */
import { ErrorCodes } from '../../lib/errors.js';
import { waitFor } from '../support/wait.js';
import { ScriptedServer } from './support/scripted-server.js';
import { Tally } from './support/tally.js';
import { TrackedClient } from './support/tracked-client.js';

describe('faults: protocol faults from a scripted server', () => {
  const tally = new Tally('protocol faults', null);
  let server: ScriptedServer;
  let c: TrackedClient;

  const lsnIs = (n: number) => waitFor(c.client.status$, (s) => s.lsn === n && s.connection === 'synced', `client at lsn ${n}`);
  const serverRows = () => c.client.query<{ lsn: number; change_id: string }>(`SELECT lsn, change_id FROM local_changes WHERE origin = 'server' ORDER BY seq`);
  const batch = (prev: number, lsn: number) => ({ type: 'server_changes', prev_lsn: prev, lsn, changes: server.range(prev, lsn) });
  /** Start the client against the log 1..n, welcome at `at`, and wait until it caught up to `at`. */
  async function startAt(n: number, at: number): Promise<void> {
    for (let i = 1; i <= n; i++) server.append(`r${i}`, `row ${i}`);
    server.options = { welcomeLsn: at };
    c = new TrackedClient('scripted', server.url);
    await lsnIs(at);
  }

  beforeEach(async () => {
    server = await ScriptedServer.start();
  });
  afterEach(async () => {
    expect(c.lsnBackwards).withContext('LSN went backwards').toEqual([]);
    tally.add({ cases: 1, faults: { protocol: 1 }, other: c.lsnBackwards.length });
    await c.close();
    await server.close();
  });
  afterAll(() => tally.report());

  it('a duplicated batch is applied once', async () => {
    await startAt(3, 0);
    server.send(batch(0, 1));
    server.send(batch(0, 1));
    server.send(batch(1, 3));
    await lsnIs(3);
    expect((await serverRows()).map((r) => r.lsn)).toEqual([1, 2, 3]);
    expect(await c.client.query('SELECT id FROM todos ORDER BY id')).toEqual([{ id: 'r1' }, { id: 'r2' }, { id: 'r3' }]);
  });

  it('batch lsn 7 before 6: 7 waits for the gap, then both apply in LSN order', async () => {
    await startAt(7, 5);
    server.options = { answerSyncRequests: false };
    const mark = server.received.length;
    server.send(batch(6, 7));
    // The gap is seen and asked for; 7 is not applied alone.
    await server.next((f) => f.type === 'sync_request' && f.from_lsn === 5, 'sync_request from 5', mark);
    expect(c.status?.lsn).toBe(5);
    server.send(batch(5, 6));
    await lsnIs(7);
    expect((await serverRows()).map((r) => r.lsn)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('a batch whose prev_lsn skips ahead: the gap is filled by a sync_request, nothing applied twice', async () => {
    await startAt(9, 5);
    server.options = {};
    const mark = server.received.length;
    server.send(batch(8, 9));
    await server.next((f) => f.type === 'sync_request' && f.from_lsn === 5, 'sync_request from 5', mark);
    await lsnIs(9);
    expect((await serverRows()).map((r) => r.lsn)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await c.client.query('SELECT count(*) AS n FROM todos')).toEqual([{ n: 9 }]);
  });

  it('an ack for an unknown change_id changes nothing and the connection goes on', async () => {
    await startAt(2, 2);
    server.send({ type: 'change_ack', acks: [{ change_id: 'ghost-1', status: 'applied', lsn: 1 }, { change_id: 'ghost-2', status: 'rejected', reason: 'no', row: null }] });
    await c.write({ op: 'insert', table: 'todos', row: { id: 'mine', title: 'after the ghost', done: 0 } });
    await waitFor(c.client.status$, (s) => s.lsn === 3 && s.pending === 0, 'own change acked and echoed');
    expect(await c.client.query(`SELECT count(*) AS n FROM local_changes WHERE change_id LIKE 'ghost%'`)).toEqual([{ n: 0 }]);
    expect(await c.client.failedChanges()).toEqual([]);
    expect(c.status?.connection).toBe('synced');
  });

  it('a server whose LSN is behind the client: client_ahead reported, the LSN stays, nothing stale applied', async () => {
    await startAt(5, 5);
    // The server is restored from an older backup: its log ends at 2 and goes on differently.
    server.log.length = 2;
    server.append('other', 'written after the restore');
    server.options = { welcomeLsn: 3 };
    server.drop();
    await waitFor(c.client.errors$, (e) => e.code === ErrorCodes.CLIENT_AHEAD, 'client_ahead reported');
    server.send(batch(2, 3));
    // A ping answered means the batch before it was handled.
    const mark = server.received.length;
    server.send({ type: 'ping', t: 1 });
    await server.next((f) => f.type === 'pong', 'pong', mark);
    expect(c.status?.lsn).toBe(5);
    expect(await c.client.query(`SELECT count(*) AS n FROM todos WHERE id = 'other'`)).toEqual([{ n: 0 }]);
    // A server that refuses the hello outright (as the reference server does): reported, no crash, LSN kept.
    server.options = { welcomeLsn: null };
    const errorsBefore = c.errors.length;
    server.drop();
    await waitFor(c.client.errors$, (e) => e.code === ErrorCodes.CLIENT_AHEAD, 'client_ahead from the refused hello');
    expect(c.errors.length).toBeGreaterThan(errorsBefore);
    expect(c.status?.lsn).toBe(5);
    expect(await c.client.query('SELECT count(*) AS n FROM todos')).toEqual([{ n: 5 }]);
  });
});
