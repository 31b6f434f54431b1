/**
 * The notes app end to end over real sockets: 3 users in 2 teams with the real client (in-process,
 * `ws`) behind a proxy that records every frame the server sent and cuts the network. Membership
 * changes (a scope gained while connected, a scope lost while connected, a scope lost while
 * offline), a row moving between teams, network cuts and writes while cut. At the end each
 * client's tables equal exactly what its user may read, computed independently from the server's
 * tables (its SQLite file, or its PostgreSQL schema in the PostgreSQL pass); and no frame any client received ever carried another user's note, a row of a team the
 * user was never in, or another client's ids.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { freshPgUrl, serversOnPostgres } from '../../support/pg.js';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { createSyncClient, type SyncClient } from '../../../lib/index.js';
import { signToken, type SyncServer } from '../../../server/index.js';
import { eventually, waitFor } from '../../support/wait.js';
import { TestClient, startServer, tempDir } from '../helpers.js';
import { NOTES_SCHEMA, SECRET, mayRead, notesAccess, userScopes, handshakeScoped } from './notes-app.js';
import { TapProxy } from './tap-proxy.js';

type Rows = Record<string, unknown>[];
const TABLES = ['notes', 'lists', 'items', 'members'] as const;
const USERS = ['alice', 'bob', 'carol'] as const;
type User = (typeof USERS)[number];
/** Teams each user is ever in during the run (a row of any other team must never reach it). */
const EVER: Record<User, string[]> = { alice: ['t1'], bob: ['t1', 't2'], carol: ['t2'] };

let seq = 0;
const token = (sub: string, admin = false) => signToken(SECRET, { sub, exp: Math.floor(Date.now() / 1000) + 3600, ...(admin ? { admin: true } : {}) });
const member = (id: string, user: string, team: string) => ({ change_id: `c-${id}-${++seq}`, entity: 'members', entity_id: id, op: 'insert' as const, data: { id, user, team } });
const unmember = (id: string) => ({ change_id: `d-${id}-${++seq}`, entity: 'members', entity_id: id, op: 'delete' as const, data: null });

describe('access rules: the notes app (3 users, 2 teams, real clients, network cuts)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  let server: SyncServer;
  let root: TestClient;
  const proxies = {} as Record<User, TapProxy>;
  const clients = {} as Record<User, SyncClient>;

  beforeEach(async () => {
    tmp = tempDir();
    file = serversOnPostgres() ? freshPgUrl() : join(tmp.dir, 'server.sqlite');
    server = await startServer({ db: file, schema: NOTES_SCHEMA, auth: { secret: SECRET }, access: notesAccess() });
    ({ c: root } = await handshakeScoped(server.url, 'root-device', { token: token('root', true) }));
    await root.commit([member('m-alice-t1', 'alice', 't1'), member('m-bob-t1', 'bob', 't1'), member('m-carol-t2', 'carol', 't2')]);
    for (const u of USERS) {
      proxies[u] = await TapProxy.start(server.url);
      clients[u] = createSyncClient({
        url: proxies[u].url, clientId: `${u}-device`, schema: NOTES_SCHEMA, worker: false, storage: 'memory', token: () => token(u),
        backoff: { initialDelay: 10, maxDelay: 50 },
      });
    }
    await Promise.all(USERS.map((u) => clients[u].ready));
  });
  afterEach(async () => {
    await Promise.all(USERS.map((u) => clients[u].close().catch(() => undefined)));
    await root.close();
    await Promise.all(USERS.map((u) => proxies[u].close()));
    await server.close();
    tmp.cleanup();
  });

  /** Every row of the server's tables, read straight from its database (not through the server). */
  const serverTables = async (): Promise<Record<string, Rows>> => {
    if (!file.startsWith('postgres')) {
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        return Object.fromEntries(TABLES.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY id`).all() as Rows]));
      } finally {
        db.close();
      }
    }
    const u = new URL(file);
    const schema = u.searchParams.get('schema')!;
    u.searchParams.delete('schema');
    const db = new pg.Client({ connectionString: u.toString(), options: `-c search_path=${schema}` });
    await db.connect();
    try {
      const out: Record<string, Rows> = {};
      for (const t of TABLES) out[t] = (await db.query(`SELECT * FROM ${t} ORDER BY id COLLATE "C"`)).rows as Rows;
      return out;
    } finally {
      await db.end();
    }
  };
  /** What `user` may read now, from the server's own tables. */
  const expected = async (user: User): Promise<Record<string, Rows>> => {
    const all = await serverTables();
    const scopes = userScopes(user, all['members']!);
    return Object.fromEntries(TABLES.map((t) => [t, all[t]!.filter((r) => mayRead(t, r, scopes))]));
  };
  const actual = async (user: User): Promise<Record<string, Rows>> =>
    Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await clients[user].query(`SELECT * FROM ${t} ORDER BY id`)] as const)));
  const converged = async (what: string, users: readonly User[] = USERS) => {
    // Every write has reached the server first (a pending one would still change what others may
    // read). Asked of each client's store, not read off status$: the status after a write that
    // just resolved may not have arrived yet, and the last one still says "nothing pending".
    const settled = async (u: User) => (await clients[u].pendingChanges()).length === 0 && (await firstValueFrom(clients[u].status$)).connection === 'synced';
    await Promise.all(USERS.map((u) => eventually(() => settled(u), `${u} has nothing pending (${what})`, 15_000)));
    for (const u of users) {
      await eventually(async () => JSON.stringify(await actual(u)) === JSON.stringify(await expected(u)), `${u}: ${what}`, 15_000).catch(async (e: Error) => {
        throw new Error(`${e.message}\nclient:   ${JSON.stringify(await actual(u))}\nexpected: ${JSON.stringify(await expected(u))}`);
      });
    }
  };
  const rowsOf = async (user: User, table: string) => (await clients[user].query(`SELECT id FROM ${table} ORDER BY id`)).map((r) => r['id']);

  it('every client ends with exactly its rows and never receives a row of another user', async () => {
    const { alice, bob, carol } = clients;
    await Promise.all(USERS.map((u) => waitFor(clients[u].status$, (s) => s.connection === 'synced', `${u} synced`)));
    await alice.insert('lists', { id: 'l1', team: 't1', name: 'team one' });
    await carol.insert('lists', { id: 'l2', team: 't2', name: 'team two' });
    for (const u of USERS) await clients[u].insert('notes', { id: `n-${u}-1`, owner: u, text: `${u} private 1` });
    await alice.insert('items', { id: 'i-a1', list: 'l1', team: 't1', text: 'a1' });
    await bob.insert('items', { id: 'i-b1', list: 'l1', team: 't1', text: 'b1' });
    await carol.insert('items', { id: 'i-c1', list: 'l2', team: 't2', text: 'c1' });
    await converged('first writes');

    // Bob gains team 2 while connected: its rows are backfilled (their LSNs are below his).
    await root.commit([member('m-bob-t2', 'bob', 't2')]);
    await eventually(async () => (await rowsOf('bob', 'items')).includes('i-c1'), 'bob backfilled with team 2');

    // A network cut for bob and carol; writes on both sides of it; bob moves his item to team 2.
    proxies.bob.cut();
    proxies.carol.cut();
    await carol.insert('notes', { id: 'n-carol-2', owner: 'carol', text: 'written across a cut' });
    await alice.insert('items', { id: 'i-a2', list: 'l1', team: 't1', text: 'a2' });
    await bob.update('items', 'i-b1', { team: 't2', list: 'l2' });
    await converged('after the cut and the move');
    expect(await rowsOf('alice', 'items')).toEqual(['i-a1', 'i-a2']); // the moved item left team 1

    // Carol loses team 2 while connected, with a local change pending on another row.
    carol.disconnect();
    await carol.insert('notes', { id: 'n-carol-3', owner: 'carol', text: 'pending' });
    carol.connect();
    await root.commit([unmember('m-carol-t2')]);
    await converged('carol without a team', ['carol']);
    expect(await rowsOf('carol', 'notes')).toEqual(['n-carol-1', 'n-carol-2', 'n-carol-3']);

    // Bob loses team 1 while offline; team 1 keeps writing; he comes back with the same token.
    bob.disconnect();
    await root.commit([unmember('m-bob-t1')]);
    await alice.insert('items', { id: 'i-a3', list: 'l1', team: 't1', text: 'a3' });
    bob.connect();
    proxies.alice.cut();
    await alice.update('items', 'i-a1', { text: 'a1 edited' });
    await converged('the end');

    for (const u of USERS) expect(checkFrames(u, proxies[u].frames)).toEqual([]);
    // The proxies did see the traffic (the check above cannot pass on nothing).
    const patched = (u: User) => proxies[u].frames.flatMap((f) => ((f as { type: string }).type === 'scope_patch' ? (f as { changes: { op: string; entity_id: string }[] }).changes : []));
    expect(patched('bob').filter((c) => c.op === 'insert').map((c) => c.entity_id)).toContain('i-c1'); // backfill while connected
    expect(patched('bob').filter((c) => c.op === 'delete').map((c) => c.entity_id)).toContain('i-a1'); // team 1 lost while offline
    expect(patched('carol').filter((c) => c.op === 'delete').map((c) => c.entity_id)).toContain('i-c1'); // team 2 lost while connected
    expect(proxies.carol.frames.length).toBeGreaterThan(10);
  }, 90_000);
});

/** Every row, id and writer id in the frames a user received that it should never have seen. */
function checkFrames(user: User, frames: readonly unknown[]): string[] {
  const bad: string[] = [];
  for (const frame of frames as { type: string; changes?: Record<string, unknown>[]; acks?: { row?: Record<string, unknown> | null }[] }[]) {
    const changes = frame.changes ?? [];
    const rows = [...changes.map((c) => ({ entity: String(c['entity']), id: String(c['entity_id']), data: c['data'] as Record<string, unknown> | null }))];
    for (const a of frame.acks ?? []) if (a.row) rows.push({ entity: '?', id: String(a.row['id']), data: a.row });
    for (const c of changes) {
      if (c['client_id'] !== undefined && c['client_id'] !== '~server' && c['client_id'] !== `${user}-device`) bad.push(`${frame.type}: writer id ${String(c['client_id'])}`);
    }
    for (const r of rows) {
      if (r.entity === 'notes' && !r.id.startsWith(`n-${user}-`)) bad.push(`${frame.type}: note ${r.id}`);
      if (!r.data) continue;
      if ('owner' in r.data && r.data['owner'] !== user) bad.push(`${frame.type}: note of ${String(r.data['owner'])}`);
      if ('team' in r.data && !EVER[user].includes(String(r.data['team'])) && !(r.entity === 'members' && r.data['user'] === user)) {
        bad.push(`${frame.type}: ${r.entity} ${r.id} of team ${String(r.data['team'])}`);
      }
    }
  }
  return bad;
}
