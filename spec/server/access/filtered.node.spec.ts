/**
 * Access rules over real sockets (SQLite backend): broadcasts, catch-up pages and rejections
 * carry only what the connection's user may read; each connection's `prev_lsn` chain has no gap
 * for changes it may not see; `permit` gets the current row.
 */
import { signToken, type SyncServer } from '../../../server/index.js';
import type { ClientChange, ServerChange, ServerFrame } from '../../../lib/protocol/index.js';
import { TestClient, startServer } from '../helpers.js';
import { NOTES_SCHEMA, SECRET, notesAccess, handshakeScoped } from './notes-app.js';

const token = (sub: string, admin = false) => signToken(SECRET, { sub, exp: Math.floor(Date.now() / 1000) + 3600, ...(admin ? { admin: true } : {}) });
const ins = (change_id: string, entity: string, data: Record<string, string>): ClientChange => ({ change_id, entity, entity_id: data['id']!, op: 'insert', data });
const upd = (change_id: string, entity: string, id: string, data: Record<string, string>): ClientChange => ({ change_id, entity, entity_id: id, op: 'update', data });
const changesOf = (frames: readonly ServerFrame[]): ServerChange[] =>
  frames.flatMap((f) => (f.type === 'server_changes' || f.type === 'sync_response' ? f.changes : []));

/** Send changes and wait for their ack and (when applied) their echo, whatever else arrives in between. */
async function write(c: TestClient, changes: ClientChange[]): Promise<void> {
  c.send({ type: 'client_change', changes });
  const ids = new Set(changes.map((x) => x.change_id));
  let acked = false;
  let echoed = false;
  while (!acked || !echoed) {
    const f = await c.next();
    if (f.type === 'change_ack') {
      acked = true;
      echoed ||= f.acks.every((a) => a.status !== 'applied');
    }
    if (f.type === 'server_changes' && f.changes.some((x) => ids.has(x.change_id))) echoed = true;
  }
}

describe('access rules: filtered reads (real sockets)', () => {
  let server: SyncServer;
  let permitCalls: { entity: string; current: unknown; sub: string }[];
  const open: TestClient[] = [];
  const connect = async (sub: string, admin = false, last_lsn = 0) => {
    const { c, welcome } = await handshakeScoped(server.url, `${sub}-device`, { token: token(sub, admin), last_lsn });
    open.push(c);
    return { c, welcome };
  };

  beforeEach(async () => {
    permitCalls = [];
    server = await startServer({ schema: NOTES_SCHEMA, auth: { secret: SECRET }, access: notesAccess(permitCalls) });
    const { c: root } = await connect('root', true);
    const ack = await root.commit([
      ins('m1', 'members', { id: 'm-alice-t1', user: 'alice', team: 't1' }),
      ins('m2', 'members', { id: 'm-bob-t1', user: 'bob', team: 't1' }),
      ins('m3', 'members', { id: 'm-carol-t2', user: 'carol', team: 't2' }),
    ]);
    expect(ack.acks.map((a) => a.status)).toEqual(['applied', 'applied', 'applied']);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
    await server.close();
  });

  it('a private note reaches only its owner; a team item only the team; each prev_lsn chain has no gap', async () => {
    const alice = (await connect('alice')).c;
    const bob = await connect('bob');
    const carol = await connect('carol');
    await alice.commit([ins('a1', 'notes', { id: 'n-alice', owner: 'alice', text: 'alice secret' })]);
    await alice.commit([ins('a2', 'items', { id: 'i1', list: 'l1', team: 't1', text: 'team one item' })]);
    await write(carol.c, [ins('c1', 'items', { id: 'i2', list: 'l2', team: 't2', text: 'team two item' })]);
    await write(carol.c, [ins('c2', 'notes', { id: 'n-carol', owner: 'carol', text: 'carol secret' })]);
    await write(bob.c, [ins('b1', 'notes', { id: 'n-bob', owner: 'bob', text: 'bob secret' })]);

    const bobFrames = bob.c.received.filter((f) => f.type === 'server_changes');
    expect(changesOf(bobFrames).map((c) => c.entity_id)).toEqual(['i1', 'n-bob']);
    const carolFrames = carol.c.received.filter((f) => f.type === 'server_changes');
    expect(changesOf(carolFrames).map((c) => c.entity_id)).toEqual(['i2', 'n-carol']);
    // One chain per connection: each frame starts where the last one it got ended.
    for (const [frames, from] of [[bobFrames, bob.welcome.server_lsn], [carolFrames, carol.welcome.server_lsn]] as const) {
      let prev = from;
      for (const f of frames) {
        if (f.type !== 'server_changes') continue;
        expect(f.prev_lsn).toBe(prev);
        prev = f.lsn;
      }
    }
    // Another user's change comes with server-made ids; the writer's own echo with its own.
    const i1 = changesOf(bobFrames).find((c) => c.entity_id === 'i1')!;
    expect(i1.client_id).toBe('~server');
    expect(i1.change_id).toBe(`~${i1.lsn}`);
    const own = changesOf(bobFrames).find((c) => c.entity_id === 'n-bob')!;
    expect([own.client_id, own.change_id]).toEqual(['bob-device', 'b1']);
  });

  it('catch-up pages carry only readable rows, as they are now, and cover the whole log range', async () => {
    const { c: alice } = await connect('alice');
    await alice.commit([ins('a1', 'notes', { id: 'n-alice', owner: 'alice', text: 'v1' })]);
    await alice.commit([upd('a2', 'notes', 'n-alice', { text: 'v2' })]);
    await alice.commit([ins('a3', 'items', { id: 'i1', list: 'l1', team: 't1', text: 'one' })]);
    const { c: carol } = await connect('carol');
    await carol.commit([ins('c1', 'items', { id: 'i2', list: 'l2', team: 't2', text: 'two' })]);

    const { c: bob } = await connect('bob');
    bob.send({ type: 'sync_request', from_lsn: 0 });
    const page = await bob.next('sync_response');
    expect(page.complete).toBeTrue();
    expect(page.lsn).toBe(server.lsn());
    expect(page.changes.map((c) => [c.entity, c.entity_id, c.op])).toEqual([
      ['members', 'm-alice-t1', 'insert'],
      ['members', 'm-bob-t1', 'insert'],
      ['items', 'i1', 'insert'],
    ]);
    expect(page.changes.every((c) => c.client_id === '~server')).toBeTrue();

    alice.send({ type: 'sync_request', from_lsn: 0 });
    const own = await alice.next('sync_response');
    const note = own.changes.find((c) => c.entity_id === 'n-alice')!;
    // One change per row, the row as it is now (no history of it).
    expect(own.changes.filter((c) => c.entity_id === 'n-alice').length).toBe(1);
    expect(note.data).toEqual({ id: 'n-alice', owner: 'alice', text: 'v2' });
  });

  it('a change to a row the user may not read is rejected without showing it; permit gets the current row', async () => {
    const { c: alice } = await connect('alice');
    await alice.commit([ins('a1', 'notes', { id: 'n-alice', owner: 'alice', text: 'secret' })]);
    const { c: carol } = await connect('carol');
    const ack = await carol.change([
      upd('c1', 'notes', 'n-alice', { text: 'mine now' }),
      { change_id: 'c2', entity: 'notes', entity_id: 'n-alice', op: 'delete', data: null },
      ins('c3', 'notes', { id: 'n-alice', owner: 'carol', text: 'take over' }),
    ]);
    for (const a of ack.acks) {
      expect(a.status).toBe('rejected');
      if (a.status !== 'rejected') continue;
      expect(a.row).toBeNull();
      expect(a.reason).toBe('permission denied: no such row among the rows you may read');
    }
    expect(JSON.stringify(carol.received)).not.toContain('secret');

    // A readable row comes back with the rejection; `permit` saw the row before the change.
    const ack2 = await alice.change([upd('a2', 'notes', 'n-alice', { owner: 'bob' })]);
    const rejected = ack2.acks[0]!;
    expect(rejected.status).toBe('rejected');
    if (rejected.status === 'rejected') {
      expect(rejected.reason).toBe('permission denied: the row would be in none of your scopes');
      expect(rejected.row).toEqual({ id: 'n-alice', owner: 'alice', text: 'secret' });
    }
    const ack3 = await alice.commit([upd('a3', 'notes', 'n-alice', { text: 'edited' })]);
    expect(ack3.acks[0]!.status).toBe('applied');
    expect(permitCalls.at(-1)).toEqual({ entity: 'notes', current: { id: 'n-alice', owner: 'alice', text: 'secret' }, sub: 'alice' });
    const denied = await alice.change([ins('a4', 'members', { id: 'm-x', user: 'alice', team: 't2' })]);
    expect(denied.acks[0]).toEqual(jasmine.objectContaining({ status: 'rejected', reason: 'permission denied: only admins change members', row: null }));
  });

  it('a row moving between scopes: the team it leaves gets a delete, the team it enters the whole row', async () => {
    const { c: root } = await connect('root', true);
    await root.commit([ins('m4', 'members', { id: 'm-dave-t1', user: 'dave', team: 't1' }), ins('m5', 'members', { id: 'm-dave-t2', user: 'dave', team: 't2' })]);
    const { c: dave } = await connect('dave');
    await dave.commit([ins('d1', 'items', { id: 'i1', list: 'l1', team: 't1', text: 'moving' })]);
    const bob = await connect('bob');
    const carol = await connect('carol');
    await dave.commit([upd('d2', 'items', 'i1', { team: 't2' })]);
    const toBob = await bob.c.next('server_changes');
    const toCarol = await carol.c.next('server_changes');
    expect(toBob.changes.map((c) => [c.op, c.entity_id, c.data])).toEqual([['delete', 'i1', null]]);
    expect(toCarol.changes.map((c) => [c.op, c.entity_id, c.data])).toEqual([['insert', 'i1', { id: 'i1', list: 'l1', team: 't2', text: 'moving' }]]);
    expect(toBob.prev_lsn).toBe(bob.welcome.server_lsn);
    expect(toCarol.prev_lsn).toBe(carol.welcome.server_lsn);
  });
});
