/**
 * The tabs channel with in-memory locks and bus and real in-process sync hosts on one shared memory
 * medium (spec/tabs/fakes.ts): relay, status.role, failover with re-send recorded once, a leader
 * whose bus went silent (frozen) losing its lock and writing nothing more. Runs in Node and Chromium.
 */
import { filter, firstValueFrom, map, timeout } from 'rxjs';
import { RpcClient } from '../../lib/client/rpc.js';
import type { WorkerOptions } from '../../lib/protocol/index.js';
import { tabChannel } from '../../lib/tabs/tab-channel.js';
import { fakeBrowser } from './fakes.js';

const OPTIONS: WorkerOptions = { schema: { todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT' } } }, storage: 'memory' };
type Browser = ReturnType<typeof fakeBrowser>;

/** A "tab": a tabs channel and the RPC client an app's client would run over it. */
function tab(browser: Browser, name: string, stealAfter = 10_000) {
  const channel = tabChannel('db', { stealAfter, heartbeat: 20, standby: false }, browser.openEngine, browser.runtime(name));
  const rpc = new RpcClient(channel);
  const role = (want: string) =>
    firstValueFrom(rpc.events$.pipe(
      filter((m) => m.type === 'status'),
      map((m) => (m as { status: { role?: string } }).status.role),
      filter((r) => r === want),
      timeout({ first: 10_000, with: () => { throw new Error(`${name} never became ${want}`); } }),
    ));
  const ready = rpc.request({ type: 'init', options: OPTIONS });
  const insert = (id: string) => rpc.request({ type: 'change_recorded', changes: [{ op: 'insert', entity: 'todos', entity_id: id, data: { id, title: name } }] });
  const rows = async (sql: string) => JSON.parse(((await rpc.request({ type: 'query', sql, params: [] })) as { rows_json: string }).rows_json) as Record<string, unknown>[];
  return { channel, rpc, role, ready, insert, rows };
}

describe('tabs channel (in-memory locks and bus, real hosts)', () => {
  it('one engine: the first tab leads, the second relays; both read every write; one client_id', async () => {
    const browser = fakeBrowser();
    const a = tab(browser, 'A');
    await a.role('leader');
    const b = tab(browser, 'B');
    await b.role('follower');
    const [ra, rb] = (await Promise.all([a.ready, b.ready])) as { client_id: string }[];
    expect(rb!.client_id).toBe(ra!.client_id);
    await b.insert('b1');
    await a.insert('a1');
    expect(await b.rows('SELECT id FROM todos ORDER BY id')).toEqual([{ id: 'a1' }, { id: 'b1' }]);
    expect(browser.engines.length).toBe(1);
    a.channel.terminate();
    b.channel.terminate();
  });

  it('failover: a write in flight when the leader goes is re-sent to the new leader and recorded once', async () => {
    const browser = fakeBrowser();
    const a = tab(browser, 'A');
    await a.role('leader');
    const b = tab(browser, 'B');
    await b.ready;
    const write = b.insert('w1');
    a.channel.terminate();
    await b.role('leader');
    await write;
    expect(await b.rows("SELECT entity_id, count(*) AS n FROM local_changes WHERE origin = 'local' GROUP BY entity_id")).toEqual([{ entity_id: 'w1', n: 1 }]);
    b.channel.terminate();
  });

  it('a silent (frozen) leader has its lock stolen; it stops its engine and its writes go to the new leader', async () => {
    const browser = fakeBrowser();
    const a = tab(browser, 'A', 150);
    await a.role('leader');
    await a.ready;
    const b = tab(browser, 'B', 150);
    await b.ready;
    browser.hub.frozen.add('A');
    await b.role('leader');
    // A learns at once (its lock request rejected): it follows again, and what it writes reaches B's engine.
    await a.role('electing');
    browser.hub.frozen.delete('A');
    await a.role('follower');
    await a.insert('after-thaw');
    expect(await b.rows('SELECT id FROM todos')).toEqual([{ id: 'after-thaw' }]);
    // One engine at a time: every engine but the current leader's was stopped.
    expect(browser.engines.map((e) => e.stopped)).toEqual([...browser.engines.slice(1).map(() => true), false]);
    a.channel.terminate();
    b.channel.terminate();
  });
});
