/**
 * Access rules with several nodes on ONE PostgreSQL (real PostgreSQL, two real servers, real
 * sockets): what a client of node B writes, and what is written straight into the tables (psql,
 * through `pg`), reaches the clients of node A through the same per-connection filter as a local
 * change: each user gets only the rows it may read, a row that moves into a user's scopes arrives
 * whole, one that moves out is deleted, and a change to a table `scopes()` reads (members) gives a
 * scope patch. Each user waits for its own "sentinel" note written after the changes under test
 * (LSN order: everything before it has been delivered), so "did not receive" is checked exactly.
 */
import pg from 'pg';
import type { ClientChange, ServerChange, ServerFrame } from '../../../lib/protocol/index.js';
import { signToken, startSyncServer, type SyncServer } from '../../../server/index.js';
import { freshPgUrl, pgDatabaseUrl } from '../../support/pg.js';
import { TestClient } from '../helpers.js';
import { NOTES_SCHEMA, SECRET, handshakeScoped, notesAccess } from './notes-app.js';

const token = (sub: string, admin = false) => signToken(SECRET, { sub, exp: Math.floor(Date.now() / 1000) + 3600, ...(admin ? { admin: true } : {}) });
const ins = (change_id: string, entity: string, data: Record<string, string>): ClientChange => ({ change_id, entity, entity_id: data['id']!, op: 'insert', data });
const upd = (change_id: string, entity: string, id: string, data: Record<string, string>): ClientChange => ({ change_id, entity, entity_id: id, op: 'update', data });
const USERS = ['alice', 'bob', 'carol', 'dave'] as const;
type User = (typeof USERS)[number];

/** One connection of a spec, with the frames it got since the last look. */
interface Conn {
  readonly c: TestClient;
  readonly welcomeLsn: number;
  seen: number;
}

/** Frames received after the last call, reading until `done` holds for them (bounded by TestClient.next). */
async function readUntil(conn: Conn, done: (frames: readonly ServerFrame[]) => boolean): Promise<ServerFrame[]> {
  for (;;) {
    const frames = conn.c.received.slice(conn.seen);
    if (done(frames)) {
      conn.seen = conn.c.received.length;
      return frames;
    }
    await conn.c.next(undefined, 5000);
  }
}

const changesOf = (frames: readonly ServerFrame[]): ServerChange[] => frames.flatMap((f) => (f.type === 'server_changes' ? f.changes : []));
const has = (frames: readonly ServerFrame[], id: string) => changesOf(frames).some((c) => c.entity_id === id);
/**
 * Where the rows under test are for a connection after these frames (sentinels left out):
 * entity_id -> the data of its last change (null: a delete). How many frames a relayed range takes
 * depends on how the notifications were batched; where the replica ends does not.
 */
const got = (frames: readonly ServerFrame[]): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const c of changesOf(frames)) if (!c.entity_id.startsWith('end-')) out[c.entity_id] = c.op === 'delete' ? null : c.data;
  return out;
};
/** Each change a connection got of a row: its op (an update patch of a row it did not have would be a bug). */
const opsOf = (frames: readonly ServerFrame[], id: string) => [...new Set(changesOf(frames).filter((c) => c.entity_id === id).map((c) => c.op))];

/** Send changes and read until their ack and (when applied) their echo, whatever else arrives in between. */
async function write(conn: Conn, changes: ClientChange[]): Promise<void> {
  conn.c.send({ type: 'client_change', changes });
  const ids = new Set(changes.map((x) => x.change_id));
  await readUntil(conn, (frames) => {
    const ack = frames.find((f) => f.type === 'change_ack');
    if (!ack || ack.type !== 'change_ack') return false;
    expect(ack.acks.map((x) => x.status)).withContext('applied').toEqual(changes.map(() => 'applied'));
    return changesOf(frames).some((c) => ids.has(c.change_id));
  });
}

/** Every server_changes frame a connection got starts where the one before ended (from its welcome): no gap. */
function expectChain(conn: Conn): void {
  let at = conn.welcomeLsn;
  for (const f of conn.c.received) {
    if (f.type !== 'server_changes') continue;
    expect(f.prev_lsn).withContext('gap-free chain').toBe(at);
    at = f.lsn;
  }
}

describe('access rules on several nodes (one PostgreSQL, two servers)', () => {
  let a: SyncServer;
  let b: SyncServer;
  let sql: pg.Client;
  let round = 0;
  const open: TestClient[] = [];
  const onA = {} as Record<User, Conn>;
  const connect = async (server: SyncServer, sub: string, clientId: string, admin = false): Promise<Conn> => {
    const { c, welcome } = await handshakeScoped(server.url, clientId, { token: token(sub, admin) });
    open.push(c);
    return { c, welcomeLsn: welcome.server_lsn, seen: c.received.length };
  };
  /** A private note for every user, written straight into the table after the changes under test; each reads until its own. */
  const sentinels = async (...conns: [User, Conn][]): Promise<Map<Conn, ServerFrame[]>> => {
    round++;
    await sql.query(`INSERT INTO notes (id, owner, text) VALUES ${USERS.map((u) => `('end-${u}-${round}', '${u}', 'end')`).join(', ')}`);
    const out = new Map<Conn, ServerFrame[]>();
    for (const [user, conn] of conns) out.set(conn, await readUntil(conn, (f) => has(f, `end-${user}-${round}`)));
    return out;
  };
  const everyoneOnA = (): [User, Conn][] => USERS.map((u) => [u, onA[u]]);

  beforeEach(async () => {
    const url = freshPgUrl();
    const options = { host: '127.0.0.1', port: 0, db: url, schema: NOTES_SCHEMA, auth: { secret: SECRET }, access: notesAccess(), logger: 'silent' as const };
    a = await startSyncServer(options);
    b = await startSyncServer(options);
    sql = new pg.Client({ connectionString: pgDatabaseUrl() });
    await sql.connect();
    await sql.query(`SET search_path = ${new URL(url).searchParams.get('schema')!}`);
    // An admin on B sees every members row: once it has them, B's copy of the tables has them too.
    const adminB = await connect(b, 'root', 'root-b', true);
    const { c: root } = await handshakeScoped(a.url, 'root-a', { token: token('root', true) });
    open.push(root);
    await root.commit([
      ins('m1', 'members', { id: 'm-alice-t1', user: 'alice', team: 't1' }),
      ins('m2', 'members', { id: 'm-bob-t1', user: 'bob', team: 't1' }),
      ins('m3', 'members', { id: 'm-carol-t2', user: 'carol', team: 't2' }),
      ins('m4', 'members', { id: 'm-dave-t1', user: 'dave', team: 't1' }),
      ins('m5', 'members', { id: 'm-dave-t2', user: 'dave', team: 't2' }),
    ]);
    await readUntil(adminB, (f) => changesOf(f).length === 5);
    for (const u of USERS) onA[u] = await connect(a, u, `${u}-a`);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
    await sql.end();
    await Promise.all([a.close(), b.close()]);
  });

  it('a change made on node B reaches on node A only the users who may read it', async () => {
    const aliceB = await connect(b, 'alice', 'alice-b');
    await write(aliceB, [ins('a1', 'notes', { id: 'n1', owner: 'alice', text: 'alice private' })]);
    await write(aliceB, [upd('a2', 'notes', 'n1', { text: 'still private' })]);
    await write(aliceB, [ins('a3', 'items', { id: 'i1', list: 'l1', team: 't1', text: 'team one' })]);
    const seen = await sentinels(...everyoneOnA());

    const alice = seen.get(onA.alice)!;
    // Relayed as the rows now are (the row before a change made elsewhere is not known here): whole rows.
    const i1 = { id: 'i1', list: 'l1', team: 't1', text: 'team one' };
    expect(got(alice)).toEqual({ n1: { id: 'n1', owner: 'alice', text: 'still private' }, i1 });
    expect(opsOf(alice, 'n1')).toEqual(['insert']);
    expect(changesOf(alice).every((c) => c.client_id === '~server' && c.change_id === `~${c.lsn}`)).withContext('server-made ids').toBeTrue();
    expect(got(seen.get(onA.bob)!)).toEqual({ i1 });
    expect(got(seen.get(onA.dave)!)).toEqual({ i1 });
    expect(got(seen.get(onA.carol)!)).toEqual({});
    for (const u of ['bob', 'carol', 'dave'] as const) expect(JSON.stringify(onA[u].c.received)).not.toContain('private');
    for (const u of USERS) expectChain(onA[u]);
  });

  it('writes on both nodes at once: every connection of either node gets its rows in one gap-free chain, and catch-up agrees', async () => {
    const aliceB = await connect(b, 'alice', 'alice-b');
    const bobB = await connect(b, 'bob', 'bob-b');
    const FRAMES = 12;
    for (let i = 0; i < FRAMES; i++) {
      onA.alice.c.send({ type: 'client_change', changes: [ins(`aa${i}`, 'notes', { id: `na${i}`, owner: 'alice', text: 'alice on A' })] });
      aliceB.c.send({ type: 'client_change', changes: [ins(`ab${i}`, 'notes', { id: `nb${i}`, owner: 'alice', text: 'alice on B' })] });
      bobB.c.send({ type: 'client_change', changes: [ins(`bb${i}`, 'items', { id: `ib${i}`, list: 'l', team: 't1', text: 'bob on B' })] });
    }
    // Every write committed (acked) before the sentinels; what else each writer got meanwhile stays in its `received`.
    for (const w of [onA.alice, aliceB, bobB]) {
      const from = w.seen;
      await readUntil(w, (f) => f.filter((x) => x.type === 'change_ack').length === FRAMES);
      w.seen = from;
    }
    const seen = await sentinels(...everyoneOnA(), ['alice', aliceB], ['bob', bobB]);
    const notes = [...Array(FRAMES).keys()].flatMap((i) => [`na${i}`, `nb${i}`]).sort();
    const items = [...Array(FRAMES).keys()].map((i) => `ib${i}`).sort();
    const ids = (conn: Conn) => Object.keys(got(seen.get(conn)!)).sort();
    for (const conn of [onA.alice, aliceB]) expect(ids(conn)).toEqual([...items, ...notes].sort());
    for (const conn of [onA.bob, bobB, onA.dave]) expect(ids(conn)).toEqual(items);
    expect(ids(onA.carol)).toEqual([]);
    for (const conn of [...Object.values(onA), aliceB, bobB]) expectChain(conn);
    // A new device of alice on node B: its catch-up (filtered) has the same rows.
    const fresh = await connect(b, 'alice', 'alice-fresh');
    fresh.c.send({ type: 'sync_request', from_lsn: 0 });
    const page = await fresh.c.next('sync_response');
    expect(page.complete).toBeTrue();
    expect(page.changes.map((c) => c.entity_id).filter((id) => !id.startsWith('end-') && !id.startsWith('m-')).sort()).toEqual([...items, ...notes].sort());
  });

  it('a write made straight into the PostgreSQL tables reaches exactly the clients that may read it, on both nodes', async () => {
    const aliceB = await connect(b, 'alice', 'alice-b');
    const carolB = await connect(b, 'carol', 'carol-b');
    await sql.query(`INSERT INTO notes (id, owner, text) VALUES ('n-psql', 'bob', 'for bob only')`);
    await sql.query(`INSERT INTO items (id, list, team, text) VALUES ('i-t1', 'l1', 't1', 'psql one'), ('i-t2', 'l2', 't2', 'psql two')`);
    await sql.query(`UPDATE items SET text = 'psql one, edited' WHERE id = 'i-t1'`);
    const seen = await sentinels(...everyoneOnA(), ['alice', aliceB], ['carol', carolB]);

    const t1 = { 'i-t1': { id: 'i-t1', list: 'l1', team: 't1', text: 'psql one, edited' } };
    const t2 = { 'i-t2': { id: 'i-t2', list: 'l2', team: 't2', text: 'psql two' } };
    const rows = (conn: Conn) => got(seen.get(conn)!);
    expect(rows(onA.alice)).toEqual(t1);
    expect(rows(aliceB)).toEqual(t1);
    expect(rows(onA.bob)).toEqual({ 'n-psql': { id: 'n-psql', owner: 'bob', text: 'for bob only' }, ...t1 });
    expect(rows(onA.carol)).toEqual(t2);
    expect(rows(carolB)).toEqual(t2);
    expect(rows(onA.dave)).toEqual({ ...t1, ...t2 });
    for (const conn of [onA.alice, onA.carol, onA.dave, aliceB, carolB]) expect(JSON.stringify(conn.c.received)).not.toContain('for bob only');
    for (const conn of [onA.alice, onA.bob, aliceB]) expect(JSON.stringify(conn.c.received)).not.toContain('psql two');
    for (const conn of [...Object.values(onA), aliceB, carolB]) expectChain(conn);
  });

  it('a row moving out of or into a user\'s scopes through a foreign write: a delete, or an insert of the whole row', async () => {
    const aliceB = await connect(b, 'alice', 'alice-b');
    const daveB = await connect(b, 'dave', 'dave-b');
    await write(aliceB, [ins('a1', 'items', { id: 'i1', list: 'l1', team: 't1', text: 'one' })]);
    const first = await sentinels(...everyoneOnA());
    expect(got(first.get(onA.carol)!)).toEqual({});

    // A client of node B moves it from t1 to t2 with a partial update.
    await write(daveB, [upd('d1', 'items', 'i1', { team: 't2' })]);
    const moved = await sentinels(...everyoneOnA());
    const inT2 = { id: 'i1', list: 'l1', team: 't2', text: 'one' };
    expect(got(moved.get(onA.alice)!)).toEqual({ i1: null });
    expect(got(moved.get(onA.bob)!)).toEqual({ i1: null });
    // Carol never had the row: she gets it whole, never the patch.
    expect(got(moved.get(onA.carol)!)).toEqual({ i1: inT2 });
    expect(opsOf(moved.get(onA.carol)!, 'i1')).toEqual(['insert']);
    expect(got(moved.get(onA.dave)!)).toEqual({ i1: inT2 });

    // psql moves it back.
    await sql.query(`UPDATE items SET team = 't1', text = 'back in one' WHERE id = 'i1'`);
    const back = await sentinels(...everyoneOnA());
    const inT1 = { id: 'i1', list: 'l1', team: 't1', text: 'back in one' };
    expect(got(back.get(onA.alice)!)).toEqual({ i1: inT1 });
    expect(got(back.get(onA.bob)!)).toEqual({ i1: inT1 });
    expect(got(back.get(onA.carol)!)).toEqual({ i1: null });
    expect(got(back.get(onA.dave)!)).toEqual({ i1: inT1 });
    for (const u of USERS) expectChain(onA[u]);
  });

  it('a members row written on node B or straight into the table changes the scopes of node A\'s connections (scope patch)', async () => {
    const aliceB = await connect(b, 'alice', 'alice-b');
    await write(aliceB, [ins('a1', 'items', { id: 'i1', list: 'l1', team: 't1', text: 'one' })]);
    await sentinels(...everyoneOnA());

    await sql.query(`INSERT INTO members (id, "user", team) VALUES ('m-carol-t1', 'carol', 't1')`);
    await sql.query(`DELETE FROM members WHERE id = 'm-bob-t1'`);
    const patchTo = (scopes: string[]) => (f: readonly ServerFrame[]) => f.some((x) => x.type === 'scope_patch' && JSON.stringify(x.scopes) === JSON.stringify(scopes));
    const carol = await readUntil(onA.carol, patchTo(['team:t1', 'team:t2', 'user:carol']));
    const bob = await readUntil(onA.bob, patchTo(['user:bob']));
    const patched = (frames: readonly ServerFrame[]) => frames.flatMap((f) => (f.type === 'scope_patch' ? f.changes : [])).map((c) => [c.entity, c.entity_id, c.op]);
    expect(patched(carol)).toContain(['items', 'i1', 'insert']);
    expect(patched(bob)).toContain(['items', 'i1', 'delete']);
    // After the patch, a change of a t1 row reaches carol and no longer bob.
    await write(aliceB, [upd('a2', 'items', 'i1', { text: 'for t1 now' })]);
    const after = await sentinels(['carol', onA.carol], ['bob', onA.bob]);
    expect(got(after.get(onA.carol)!)['i1']).toEqual({ id: 'i1', list: 'l1', team: 't1', text: 'for t1 now' });
    expect(JSON.stringify(onA.bob.c.received)).not.toContain('for t1 now');
    for (const u of USERS) expectChain(onA[u]);
  });
});
