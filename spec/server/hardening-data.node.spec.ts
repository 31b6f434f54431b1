/**
 * Issue #12, data and identity: lone surrogates (stored as bytes that read back as U+FFFD, so a
 * page no longer matched its own ids), client ids bound to their user, dedupe per client, one text
 * form per numeric key, the clients table pruned. Each attack runs against the real server over
 * real sockets; the honest client still writes and catches up.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isLeft } from 'fp-ts/lib/Either.js';
import { checkChange, decodeServerFrame, parseSchema } from '../../lib/protocol/index.js';
import { signToken, type SyncServer } from '../../server/index.js';
import { LogStore } from '../../server/store.js';
import { SCHEMA, TestClient, startServer, tempDir, todo } from './helpers.js';

describe('server hardening: lone surrogates', () => {
  let server: SyncServer;
  let good: TestClient;
  beforeEach(async () => {
    server = await startServer();
    ({ c: good } = await TestClient.handshake(server.url, 'good'));
    await good.commit([todo('seed', 'a', 'kept')]);
  });
  afterEach(async () => {
    await good.close();
    await server.close();
  });

  it('refuses a lone surrogate in an entity_id or a text value (protocol_error), stores nothing, and catch-up still matches', async () => {
    const { c: bad } = await TestClient.handshake(server.url, 'bad');
    // JSON.stringify escapes a lone surrogate as \ud800: exactly what a hostile peer can send.
    bad.send({ type: 'client_change', changes: [todo('x1', '\ud800', 'id is a lone surrogate')] });
    expect((await bad.next('error')).code).toBe('protocol_error');
    bad.send({ type: 'client_change', changes: [todo('x2', 'b', 'title \udfff alone')] });
    const err = await bad.next('error');
    expect(err.code).toBe('protocol_error');
    expect(err.message).toMatch(/changes\.0\.data\.title/);
    expect(server.lsn()).toBe(1);
    // A surrogate PAIR is fine text.
    expect((await bad.commit([todo('x3', 'c', 'emoji \ud83d\ude00')])).acks[0]!.status).toBe('applied');
    await bad.close();

    const { c: fresh } = await TestClient.handshake(server.url, 'fresh');
    fresh.send({ type: 'sync_request', from_lsn: 0 });
    const page = await fresh.next('sync_response');
    expect(page.complete).toBeTrue();
    expect(page.changes.map((c) => [c.entity_id, c.data?.['id'], c.data?.['title']])).toEqual([
      ['a', 'a', 'kept'],
      ['c', 'c', 'emoji \ud83d\ude00'],
    ]);
    await fresh.close();
  });

  it('the client boundary refuses a server frame with a lone surrogate, and the app cannot write one', () => {
    const frame = `{"type":"sync_response","from_lsn":0,"lsn":1,"complete":true,"changes":[{"lsn":1,"change_id":"c","client_id":"x","entity":"todos","entity_id":"a","op":"insert","data":{"id":"a","title":"\\ud800"}}]}`;
    const decoded = decodeServerFrame(frame);
    expect(isLeft(decoded) && decoded.left.message).toMatch(/changes\.0\.data\.title/);
    const schema = parseSchema(SCHEMA);
    expect(checkChange(schema, todo('l1', 'a', 'bad \ud800'))?.message).toMatch(/well-formed/);
    expect(checkChange(schema, { change_id: 'l2', entity: 'todos', entity_id: '\udc00', op: 'delete', data: null })?.message).toMatch(/well-formed/);
    expect(checkChange(schema, todo('l3', 'a', 'pair \ud83d\ude00'))).toBeNull();
  });

  it('rejections it sends are well-formed, even when quoting hostile text', async () => {
    const { c: bad } = await TestClient.handshake(server.url, 'bad2');
    // A column name with a lone surrogate is quoted in the reason: the server replaces it.
    const ack = await bad.change([{ change_id: 'q', entity: 'todos', entity_id: 'a', op: 'update', data: { [`\ud800${'y'.repeat(5000)}`]: 1 } }]);
    // TestClient decodes with the client's codecs, which refuse lone surrogates and long reasons.
    const first = ack.acks[0]!;
    expect(first.status === 'rejected' && first.reason).toMatch(/^unknown column "\ufffdy+" in "todos"$/);
    await bad.close();
  });
});

describe('server hardening: identity', () => {
  const SECRET = 'a-test-secret-of-32-characters!!';
  const exp = Math.floor(Date.now() / 1000) + 3600;
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  let server: SyncServer;
  beforeEach(async () => {
    tmp = tempDir();
    file = join(tmp.dir, 'identity.sqlite');
    server = await startServer({ db: file, auth: { secret: SECRET } });
  });
  afterEach(async () => {
    await server.close();
    tmp.cleanup();
  });
  const as = (sub: string, clientId: string) => TestClient.handshake(server.url, clientId, { token: signToken(SECRET, { sub, exp }) });
  const read = <T>(sql: string): T[] => {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare(sql).all() as T[];
    } finally {
      db.close();
    }
  };

  it("refuses a client id already used by another user (auth_error, 4403); the owner keeps it", async () => {
    const { c: alice } = await as('alice', 'laptop');
    await alice.close();
    const bob = await TestClient.open(server.url);
    bob.send({ type: 'hello', protocol: 1, client_id: 'laptop', last_lsn: 0, token: signToken(SECRET, { sub: 'bob', exp }) });
    expect((await bob.closed).code).toBe(4403);
    expect(bob.received).toEqual([jasmine.objectContaining({ type: 'error', code: 'auth_error' })]);
    const { c: again } = await as('alice', 'laptop');
    expect((await again.commit([todo('a1', 'a', 'mine')])).acks[0]!.status).toBe('applied');
    const { c: bobsOwn } = await as('bob', 'bob-phone');
    expect((await bobsOwn.commit([todo('b1', 'b', 'his')])).acks[0]!.status).toBe('applied');
    await again.close();
    await bobsOwn.close();
    expect(read<{ change_id: string; sub: string }>('SELECT change_id, sub FROM change_log ORDER BY lsn')).toEqual([
      { change_id: 'a1', sub: 'alice' },
      { change_id: 'b1', sub: 'bob' },
    ]);
  });

  it('dedupes by (client, change_id): another client reusing a change_id is a new change', async () => {
    const { c: one } = await as('alice', 'one');
    const { c: two } = await as('bob', 'two');
    expect((await one.commit([todo('same-id', 'x', 'from one')])).acks[0]).toEqual({ change_id: 'same-id', status: 'applied', lsn: 1 });
    await two.next('server_changes');
    expect((await two.commit([todo('same-id', 'y', 'from two')])).acks[0]).toEqual({ change_id: 'same-id', status: 'applied', lsn: 2 });
    await one.next('server_changes'); // two's change, broadcast to one
    expect((await one.change([todo('same-id', 'x', 'from one')])).acks[0]).toEqual({ change_id: 'same-id', status: 'duplicate', lsn: 1 });
    expect(read<{ id: string }>('SELECT id FROM todos ORDER BY id').map((r) => r.id)).toEqual(['x', 'y']);
    await one.close();
    await two.close();
  });

  it('rejects a non-canonical numeric primary key ("07" and "7" would be one SQL row, two client rows)', async () => {
    const { c } = await as('alice', 'keys');
    const ack = await c.commit([
      { change_id: 'k1', entity: 'counters', entity_id: '07', op: 'update', data: { label: 'seven?' } },
      { change_id: 'k2', entity: 'counters', entity_id: '7', op: 'insert', data: { n: 7, label: 'seven' } },
      { change_id: 'k3', entity: 'counters', entity_id: '+7', op: 'delete', data: null },
    ]);
    expect(ack.acks.map((a) => [a.change_id, a.status])).toEqual([
      ['k1', 'rejected'],
      ['k2', 'applied'],
      ['k3', 'rejected'],
    ]);
    expect(ack.acks[0]).toEqual(jasmine.objectContaining({ code: 'schema_error' }));
    expect(read('SELECT n, label FROM counters')).toEqual([{ n: 7, label: 'seven' }]);
    await c.close();
  });
});

describe('server hardening: stored state', () => {
  it('migrates a log deduped by change_id alone, keeping its LSNs', async () => {
    const tmp = tempDir();
    const file = join(tmp.dir, 'old.sqlite');
    const db = new Database(file);
    db.exec(`CREATE TABLE change_log (lsn INTEGER PRIMARY KEY, change_id TEXT NOT NULL UNIQUE, client_id TEXT NOT NULL,
        entity TEXT NOT NULL, entity_id TEXT NOT NULL, op TEXT NOT NULL, data TEXT, created_at INTEGER NOT NULL);
      CREATE TABLE clients (client_id TEXT PRIMARY KEY, acked_lsn INTEGER NOT NULL DEFAULT 0, last_seen INTEGER NOT NULL);
      INSERT INTO change_log VALUES (1, 'dup', 'old-client', 'todos', 'a', 'insert', '{"id":"a","title":"old","done":0}', 0);`);
    db.close();
    const server = await startServer({ db: file });
    try {
      expect(server.lsn()).toBe(1);
      const { c } = await TestClient.handshake(server.url, 'new-client');
      expect((await c.commit([todo('dup', 'b', 'new')])).acks[0]).toEqual({ change_id: 'dup', status: 'applied', lsn: 2 });
      await c.close();
    } finally {
      await server.close();
      tmp.cleanup();
    }
  });

  it('prunes client ids not seen for clientRetentionMs', () => {
    let clock = 1_000_000;
    const store = LogStore.open({ file: ':memory:', schema: parseSchema(SCHEMA), now: () => clock, clientRetentionMs: 1000 });
    store.clientSeen('old');
    clock += 600;
    store.clientSeen('recent');
    clock += 600;
    expect(store.pruneClients()).toBe(1);
    expect(store.client('old')).toBeNull();
    expect(store.client('recent')).not.toBeNull();
    store.close();
  });
});
