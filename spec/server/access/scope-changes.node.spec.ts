/**
 * Scope changes at hello (real sockets): a replica names the scopes it holds (`hello.scopes`,
 * recorded from the last `scope_patch`); when a new token's claims give other scopes, the rows of
 * the gained ones come as inserts and those of the lost ones as deletes; same scopes: no patch.
 */
import { signToken, type AccessRules, type SyncServer } from '../../../server/index.js';
import { eventually } from '../../support/wait.js';
import { TestClient, startServer } from '../helpers.js';
import { NOTES_SCHEMA, SECRET } from './notes-app.js';

const rules: AccessRules = {
  scopes: (user) => (Array.isArray(user.claims['teams']) ? (user.claims['teams'] as string[]) : []).map((t) => 'team:' + t),
  rowScopes: { items: (row) => ['team:' + String(row['team'])] },
};
const token = (teams: string[]) => signToken(SECRET, { sub: 'zoe', exp: Math.floor(Date.now() / 1000) + 600, teams });
const item = (id: string, team: string) => ({ change_id: `w-${id}`, entity: 'items', entity_id: id, op: 'insert' as const, data: { id, list: 'l', team, text: id } });

describe('access rules: scope changes at hello', () => {
  let server: SyncServer;
  const open: TestClient[] = [];
  const hello = async (teams: string[], extra: { last_lsn?: number; scopes?: string[] } = {}) => {
    const c = await TestClient.open(server.url);
    open.push(c);
    c.send({ type: 'hello', protocol: 1, client_id: 'zoe-1', last_lsn: extra.last_lsn ?? 0, token: token(teams), ...(extra.scopes && { scopes: extra.scopes }) });
    await c.next('welcome');
    return c;
  };

  beforeEach(async () => {
    server = await startServer({ schema: NOTES_SCHEMA, auth: { secret: SECRET }, access: rules });
    const { c: w } = await TestClient.handshake(server.url, 'writer', { token: token(['t1', 't2']) });
    open.push(w);
    await w.next('scope_patch');
    await w.change([item('a', 't1'), item('b', 't2'), item('c', 't2')]);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
    await server.close();
  });

  it('a new token with other claims: inserts for the gained scope, deletes for the lost one', async () => {
    const first = await hello(['t1']);
    expect(await first.next('scope_patch')).toEqual({ type: 'scope_patch', changes: [], scopes: ['team:t1'] }); // fresh: catch-up brings the rows
    first.send({ type: 'sync_request', from_lsn: 0 });
    const page = await first.next('sync_response');
    expect(page.changes.map((c) => c.entity_id)).toEqual(['a']);
    await first.close();

    const again = await hello(['t2'], { last_lsn: page.lsn, scopes: ['team:t1'] });
    const patch = await again.next('scope_patch');
    expect(patch.scopes).toEqual(['team:t2']);
    expect(patch.changes).toEqual([
      { entity: 'items', entity_id: 'a', op: 'delete', data: null },
      { entity: 'items', entity_id: 'b', op: 'insert', data: { id: 'b', list: 'l', team: 't2', text: 'b' } },
      { entity: 'items', entity_id: 'c', op: 'insert', data: { id: 'c', list: 'l', team: 't2', text: 'c' } },
    ]);
  });

  it('the same scopes: no patch; none recorded on an old replica: a backfill of all its scopes', async () => {
    const same = await hello(['t2'], { last_lsn: 3, scopes: ['team:t2'] });
    same.send({ type: 'ping', t: 1 });
    expect(await same.next()).toEqual({ type: 'pong', t: 1 });
    await same.close();

    const old = await hello(['t2'], { last_lsn: 3 });
    const patch = await old.next('scope_patch');
    expect(patch.changes.map((c) => [c.op, c.entity_id])).toEqual([['insert', 'b'], ['insert', 'c']]);
    expect(patch.scopes).toEqual(['team:t2']);
  });

  it('a backfill bigger than maxBufferedBytes is paced by the output, not held in memory nor cut (1013)', async () => {
    await server.close();
    const limits = { pageMaxBytes: 32 * 1024, pauseBufferedBytes: 64 * 1024, maxBufferedBytes: 256 * 1024 };
    server = await startServer({ schema: NOTES_SCHEMA, auth: { secret: SECRET }, access: rules, limits });
    const { c: w } = await TestClient.handshake(server.url, 'writer', { token: token(['t1']) });
    open.push(w);
    await w.next('scope_patch');
    const text = 'y'.repeat(4000);
    // The writer is paced by its own echo (each frame's ack and broadcast read before the next
    // frame): under these tight limits, frames sent all at once would put the echoes of several
    // 200 KB frames in the writer's output, and a loaded machine then closes it as too slow (1013).
    for (let i = 0; i < 400; i++) await w.commit(Array.from({ length: 5 }, (_, j) => ({ ...item(`p${i}-${j}`, 't1'), data: { id: `p${i}-${j}`, list: 'l', team: 't1', text } })));
    expect(server.lsn()).toBe(2000);
    await w.close();
    const c = await TestClient.open(server.url);
    open.push(c);
    c.send({ type: 'hello', protocol: 1, client_id: 'zoe-1', last_lsn: 2000, token: token(['t1']), scopes: [] }); // about 8 MB to backfill
    await c.next('welcome');
    c.ws.pause(); // a reader that does not read: the server's output for it grows ...
    await eventually(() => server.outputBytes() > limits.pauseBufferedBytes, 'the output buffer filling');
    // ... only up to the pause (plus a frame), far below the 8 MB of the patch and the close at maxBufferedBytes.
    expect(server.outputBytes()).toBeLessThanOrEqual(limits.pauseBufferedBytes + limits.pageMaxBytes + 1024);
    c.ws.resume();
    let rows = 0;
    let last: unknown;
    while (last === undefined) {
      const f = await c.next('scope_patch', 10_000);
      rows += f.changes.length;
      last = f.scopes;
    }
    expect(rows).toBe(2000);
    expect(last).toEqual(['team:t1']);
    c.send({ type: 'ping', t: 2 });
    expect(await c.next()).toEqual({ type: 'pong', t: 2 }); // still open
  }, 60_000);

  it('a filtered broadcast bigger than maxBufferedBytes does not close a reader mid-way: what it held before decides', async () => {
    await server.close();
    const KiB = 1024;
    server = await startServer({ schema: NOTES_SCHEMA, auth: { secret: SECRET }, access: rules, limits: { pageMaxBytes: 64 * KiB, maxBufferedBytes: 256 * KiB } });
    const { c: reader } = await TestClient.handshake(server.url, 'reader', { token: token(['t1']) });
    open.push(reader);
    await reader.next('scope_patch');
    reader.ws.pause();
    const { c: w } = await TestClient.handshake(server.url, 'writer', { token: token(['t1']) });
    open.push(w);
    await w.next('scope_patch');
    const change = (id: string, size: number) => ({ ...item(id, 't1'), data: { id, list: 'l', team: 't1', text: 'z'.repeat(size) } });
    // Fill the kernel's buffers for the reader until the server holds some of its output, far below the limit.
    for (let i = 0; server.outputBytes() === 0; i++) {
      await w.commit([change(`f${i}`, 60 * KiB)]);
      if (i > 2000) fail('the kernel never filled');
    }
    const before = server.outputBytes();
    expect(before).toBeLessThan(128 * KiB);
    // One frame whose filtered broadcast is 10 pages of about 60 KiB.
    w.send({ type: 'client_change', changes: Array.from({ length: 10 }, (_, k) => change(`big${k}`, 60 * KiB)) });
    await eventually(() => server.outputBytes() > before + 256 * KiB || server.clientCount() < 2, 'the broadcast held for the reader');
    expect(server.clientCount()).withContext('the reader was closed mid-broadcast').toBe(2);
    reader.ws.resume();
    const got = (id: string) => reader.received.some((f) => f.type === 'server_changes' && f.changes.some((c) => c.entity_id === id));
    await eventually(() => got('big9'), 'the reader to read it all', 20_000);
    await eventually(() => server.outputBytes() === 0, 'the output drained', 20_000);
    w.send({ type: 'client_change', changes: [change('after', 10)] });
    await eventually(() => got('after'), 'the next change');
    expect(reader.ws.readyState).toBe(reader.ws.OPEN);
  }, 30_000);

  it('scopes() giving a scope the client could not name back: no welcome, an internal error (nothing unfiltered is served)', async () => {
    await server.close();
    server = await startServer({ schema: NOTES_SCHEMA, auth: { secret: SECRET }, access: { ...rules, scopes: () => ['x'.repeat(600)] } });
    const c = await TestClient.open(server.url);
    open.push(c);
    c.send({ type: 'hello', protocol: 1, client_id: 'zoe-9', last_lsn: 0, token: token(['t1']) });
    expect(await c.next('error')).toEqual(jasmine.objectContaining({ code: 'internal_error' }));
    expect(server.clientCount()).toBe(0);
  });

  it('a big patch is split within pageMaxBytes; only the last frame names the scopes', async () => {
    await server.close();
    server = await startServer({ schema: NOTES_SCHEMA, auth: { secret: SECRET }, access: rules, limits: { pageMaxBytes: 64 * 1024 } });
    const { c: w } = await TestClient.handshake(server.url, 'writer', { token: token(['t1']) });
    open.push(w);
    await w.next('scope_patch');
    const text = 'x'.repeat(1000);
    for (let i = 0; i < 4; i++) w.send({ type: 'client_change', changes: Array.from({ length: 50 }, (_, j) => ({ ...item(`r${i}-${j}`, 't1'), data: { id: `r${i}-${j}`, list: 'l', team: 't1', text } })) });
    await eventually(() => server.lsn() === 200, 'the writes applied');
    const c = await hello(['t1'], { last_lsn: 200, scopes: [] });
    const frames = [];
    for (let n = 0; n < 200; ) {
      const f = await c.next('scope_patch');
      frames.push(f);
      n += f.changes.length;
    }
    expect(frames.length).toBeGreaterThan(2);
    for (const f of frames) expect(JSON.stringify(f).length).toBeLessThanOrEqual(64 * 1024 + 100);
    expect(frames.map((f) => f.scopes)).toEqual([...frames.slice(1).map(() => undefined), ['team:t1']]);
  });
});
