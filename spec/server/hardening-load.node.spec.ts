/**
 * Issue #12 points 2-3 and #14.5 (server side): pages and frames bounded in bytes, work charged by
 * what is served, one `sync_request` at a time, backpressure, a global output budget, acks free
 * and over-rate frames queued (never dropped). Real server, real sockets; honest clients sync.
 */
import { FakeSocket } from './fake-socket.js';
import type { WebSocket } from 'ws';
import { parseSchema, type ServerFrame } from '../../lib/protocol/index.js';
import { SyncHub } from '../../server/hub.js';
import { DEFAULT_LIMITS, checkLimits } from '../../server/limits.js';
import { createLogger, type SyncServer } from '../../server/index.js';
import { LogStore } from '../../server/store.js';
import { SqliteStorage } from '../../server/storage/sqlite.js';
import { SCHEMA, TestClient, startServer, todo } from './helpers.js';

const KiB = 1024;

/** Wait for a condition (bounded), polling. */
async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Catch up from 0 with sync_requests; returns every change id seen, checking each page's bounds. */
async function catchUp(c: TestClient, maxFrameChars: number): Promise<string[]> {
  const ids: string[] = [];
  let from = 0;
  let cursor: number | undefined; // from 0 the pages are a snapshot: the cursor carries it on
  for (;;) {
    c.send(cursor === undefined ? { type: 'sync_request', from_lsn: from } : { type: 'sync_request', from_lsn: from, cursor });
    const page = await c.next('sync_response');
    expect(JSON.stringify(page).length).toBeLessThan(maxFrameChars);
    ids.push(...page.changes.map((ch) => ch.change_id));
    from = page.lsn;
    cursor = page.cursor;
    if (page.complete) return ids;
  }
}

describe('server hardening: pages and frames bounded in bytes', () => {
  let server: SyncServer;
  afterEach(async () => server.close());

  it('refuses a change over maxChangeBytes with a clear rejected ack; pages and broadcasts stay within the byte budget', async () => {
    server = await startServer({ limits: { maxChangeBytes: 64 * KiB, pageMaxBytes: 128 * KiB } });
    const { c: writer } = await TestClient.handshake(server.url, 'writer');
    const big = Array.from({ length: 6 }, (_, i) => todo(`b${i}`, `b${i}`, 'x'.repeat(60 * KiB)));
    writer.send({ type: 'client_change', changes: [...big.slice(0, 3), todo('huge', 'h', 'y'.repeat(100 * KiB)), ...big.slice(3)] });
    // Acks and the echo come in frames within the budget (several of them), LSNs chained.
    const acks: Extract<ServerFrame, { type: 'change_ack' }>['acks'] = [];
    const echoes: Extract<ServerFrame, { type: 'server_changes' }>[] = [];
    while (acks.length < 7 || echoes.reduce((n, e) => n + e.changes.length, 0) < 6) {
      const f = await writer.next();
      if (f.type === 'change_ack') acks.push(...f.acks);
      else if (f.type === 'server_changes') echoes.push(f);
      else fail(`unexpected ${f.type}`);
    }
    const huge = acks.find((a) => a.change_id === 'huge')!;
    expect(huge).toEqual(jasmine.objectContaining({ status: 'rejected', code: 'limit_exceeded' }));
    expect(huge.status === 'rejected' && huge.reason).toMatch(/maxChangeBytes/);
    expect(acks.filter((a) => a.status === 'applied').length).toBe(6);
    expect(echoes.length).toBeGreaterThanOrEqual(3);
    echoes.forEach((e, i) => expect(e.prev_lsn).toBe(i === 0 ? 0 : echoes[i - 1]!.lsn));

    const { c: fresh } = await TestClient.handshake(server.url, 'fresh');
    expect(await catchUp(fresh, 128 * KiB + 64 * KiB + 1000)).toEqual(big.map((b) => b.change_id));
    await writer.close();
    await fresh.close();
  });

  it('with the default limits, rows near the per-change cap catch up in pages the client accepts', async () => {
    server = await startServer();
    const { c: writer } = await TestClient.handshake(server.url, 'writer');
    const rows = Array.from({ length: 5 }, (_, i) => todo(`r${i}`, `r${i}`, 'z'.repeat(900 * KiB)));
    for (const r of rows) await writer.commit([r]);
    expect((await writer.change([todo('over', 'o', 'z'.repeat(2 * 1024 * KiB))])).acks[0]!.status).toBe('rejected');
    const { c: fresh } = await TestClient.handshake(server.url, 'fresh');
    // TestClient decodes with the client's codecs and their default 16 Mi frame limit.
    expect(await catchUp(fresh, 2 * 1024 * KiB)).toEqual(rows.map((r) => r.change_id));
    await writer.close();
    await fresh.close();
  });
});

describe('server hardening: limits that agree', () => {
  it('refuses limits whose largest frame would reach the client frame limit', () => {
    expect(() => checkLimits({ ...DEFAULT_LIMITS, pageMaxBytes: 12 * 1024 * KiB, maxChangeBytes: 6 * 1024 * KiB })).toThrowError(RangeError, /client's frame limit/);
    expect(() => checkLimits({ ...DEFAULT_LIMITS, maxInboxBytes: 0 })).toThrowError(RangeError, /maxInboxBytes/);
    expect(() => checkLimits(DEFAULT_LIMITS)).not.toThrow();
  });
});

/** Frames until `acks` change_acks and the echoes of `echoed` changes came. */
async function framesUntil(c: TestClient, acks: number, echoed: number): Promise<ServerFrame[]> {
  const out: ServerFrame[] = [];
  for (let a = 0, e = 0; a < acks || e < echoed; ) {
    const f = await c.next();
    out.push(f);
    if (f.type === 'change_ack') a++;
    else if (f.type === 'server_changes') e += f.changes.length;
  }
  return out;
}

describe('server hardening: work is paced and served one request at a time', () => {
  let server: SyncServer;
  let clock: number;
  afterEach(async () => server.close());

  async function seed(n: number, bytes: number): Promise<void> {
    const { c } = await TestClient.handshake(server.url, 'seeder');
    for (let i = 0; i < n; i += 100) {
      await c.commit(Array.from({ length: Math.min(100, n - i) }, (_, k) => todo(`s${i + k}`, `s${i + k}`, 'p'.repeat(bytes))));
    }
    await c.close();
  }

  it("answers a probe's ping while another client floods sync_requests (one request at a time, fair)", async () => {
    server = await startServer({ pageSize: 100 });
    await seed(300, 1000);
    const { c: probe } = await TestClient.handshake(server.url, 'probe');
    const { c: flooder } = await TestClient.handshake(server.url, 'flooder');
    for (let i = 0; i < 200; i++) flooder.send({ type: 'sync_request', from_lsn: 0 });
    await until(() => flooder.received.length > 1, 'the flood to start');
    probe.send({ type: 'ping', t: 7 });
    expect(await probe.next('pong')).toEqual({ type: 'pong', t: 7 });
    const servedBeforePong = flooder.received.filter((f) => f.type === 'sync_response').length;
    expect(servedBeforePong).toBeLessThan(200);
    await until(() => flooder.received.filter((f) => f.type === 'sync_response').length === 200, 'every request answered');
    expect(flooder.received.some((f) => f.type === 'error')).toBeFalse(); // nothing dropped
    await probe.close();
    await flooder.close();
  });

  it('charges a sync_request by the bytes it is served: big pages wait for the bucket on the injected clock', async () => {
    clock = 1_000_000;
    server = await startServer({ pageSize: 1000, now: () => clock, limits: { framesPerSecond: 50, frameBurst: 50 } });
    await seed(640, 1000); // one page of 640 rows, 731157 characters: 1 + 11 units of 64 KiB
    const { c } = await TestClient.handshake(server.url, 'reader'); // 49 tokens left
    for (let i = 0; i < 10; i++) c.send({ type: 'sync_request', from_lsn: 0 });
    // Counted per frame, all 10 would pass at once; by bytes, 49 - 5 x 12 < 0: the sixth waits.
    await c.nextN(5);
    await expectAsync(c.next(undefined, 200)).toBeRejectedWithError(/no frame/);
    clock += 1000; // -11 + 50 = 39: four more
    await c.nextN(4);
    await expectAsync(c.next(undefined, 200)).toBeRejectedWithError(/no frame/);
    clock += 1000;
    expect((await c.next('sync_response')).complete).toBeTrue();
    await c.close();
  });

  it('acks cost nothing, and over-rate client_change frames are queued and applied in order, never refused', async () => {
    clock = 1_000_000;
    server = await startServer({ now: () => clock, limits: { framesPerSecond: 10, frameBurst: 5 } });
    const { c } = await TestClient.handshake(server.url, 'writer'); // 4 tokens left
    for (let i = 0; i < 100; i++) c.send({ type: 'ack', lsn: 0 });
    c.send({ type: 'ping', t: 1 });
    expect(await c.next('pong')).toEqual({ type: 'pong', t: 1 }); // 3 left
    for (let i = 0; i < 8; i++) c.send({ type: 'client_change', changes: [todo(`w${i}`, `w${i}`, 'queued')] });
    // 4 frames served (the 4th into debt): an ack each, and their echoes (one broadcast per run of frames that waited together).
    const first = await framesUntil(c, 4, 4);
    await expectAsync(c.next(undefined, 200)).toBeRejectedWithError(/no frame/);
    clock += 1000;
    const rest = await framesUntil(c, 4, 4);
    const acked = [...first, ...rest].flatMap((f) => (f.type === 'change_ack' ? f.acks : []));
    expect(acked.map((a) => [a.change_id, a.status])).toEqual([...Array(8).keys()].map((i) => [`w${i}`, 'applied']));
    expect(c.received.some((f) => f.type === 'error')).toBeFalse();
    await c.close();
  });

  it('pauses a reader that does not read (bounded output), serves others, and delivers everything once it reads', async () => {
    server = await startServer({ pageSize: 1000, limits: { pauseBufferedBytes: 256 * KiB, maxBufferedBytes: 64 * 1024 * KiB } });
    await seed(1000, 1000); // pages of ~1 MiB
    const { c: slow } = await TestClient.handshake(server.url, 'slow');
    slow.ws.pause();
    for (let i = 0; i < 40; i++) slow.send({ type: 'sync_request', from_lsn: 0 });
    await until(() => server.outputBytes() > 256 * KiB, 'output to pile up for the slow reader');
    const { c: honest } = await TestClient.handshake(server.url, 'honest');
    honest.send({ type: 'sync_request', from_lsn: 900 });
    expect((await honest.next('sync_response')).changes.length).toBe(100);
    // While paused, the server holds at most the pause threshold plus one page for it.
    expect(server.outputBytes()).toBeLessThan(256 * KiB + 2 * 1024 * KiB);
    slow.ws.resume();
    await until(() => slow.received.filter((f) => f.type === 'sync_response').length === 40, 'all 40 pages', 20_000);
    await slow.close();
    await honest.close();
  }, 30_000);

  it('slows a writer that does not read its own acks and echoes instead of closing it', async () => {
    server = await startServer({ limits: { pauseBufferedBytes: 128 * KiB, maxBufferedBytes: 512 * KiB } });
    const { c: writer } = await TestClient.handshake(server.url, 'bulk');
    writer.ws.pause();
    // Enough echo bytes to fill the kernel's socket buffers as well (tens of MB).
    for (let i = 0; i < 80; i++) writer.send({ type: 'client_change', changes: [todo(`bulk${i}`, `bulk${i}`, 'u'.repeat(400 * KiB))] });
    await until(() => server.outputBytes() > 128 * KiB, 'its output to pile up');
    const lsnWhilePaused = server.lsn();
    expect(lsnWhilePaused).toBeLessThan(80); // it waits for the writer to read
    writer.ws.resume();
    await until(() => writer.received.filter((f) => f.type === 'change_ack').length === 80, 'all 80 acked', 20_000);
    expect(server.lsn()).toBe(80);
    expect(writer.ws.readyState).toBe(writer.ws.OPEN); // never closed
    await writer.close();
  }, 30_000);

  it('holds every sync_request while the output of all connections is over the global budget', async () => {
    server = await startServer({ pageSize: 1000, limits: { globalOutputBytes: 128 * KiB, pauseBufferedBytes: 64 * 1024 * KiB, maxBufferedBytes: 64 * 1024 * KiB } });
    await seed(1000, 1000);
    const { c: hog } = await TestClient.handshake(server.url, 'hog');
    hog.ws.pause();
    for (let i = 0; i < 40; i++) hog.send({ type: 'sync_request', from_lsn: 0 });
    await until(() => server.outputBytes() > 128 * KiB, 'the hog to fill the global budget');
    const { c: other } = await TestClient.handshake(server.url, 'other');
    other.send({ type: 'sync_request', from_lsn: 990 });
    await expectAsync(other.next(undefined, 200)).toBeRejectedWithError(/no frame/);
    hog.ws.resume(); // output drains: everyone is served again
    expect((await other.next('sync_response', 20_000)).changes.length).toBe(10);
    await hog.close();
    await other.close();
  }, 30_000);
});

describe('server hardening: a closing connection', () => {
  const hubOf = (store: LogStore, limits: Partial<typeof DEFAULT_LIMITS> = {}) =>
    new SyncHub({
      store: new SqliteStorage(store),
      logger: createLogger('silent'),
      now: () => 0,
      verifier: null,
      permit: null,
      pageSize: 100,
      limits: { ...DEFAULT_LIMITS, heartbeatMs: 0, ...limits },
      rejectedRow: (_c, _w, row) => row,
    });

  it('a connection waiting for the bucket stops waiting when it closes (nothing stays pending)', async () => {
    const store = LogStore.open({ file: ':memory:', schema: parseSchema(SCHEMA), now: () => 0 });
    const ws = new FakeSocket();
    const conn = hubOf(store, { frameBurst: 2 }).accept(ws as unknown as WebSocket, 'fake');
    ws.emit('message', Buffer.from(JSON.stringify({ type: 'hello', protocol: 1, client_id: 'c', last_lsn: 0 })));
    for (let i = 0; i < 5; i++) ws.emit('message', Buffer.from(JSON.stringify({ type: 'ping', t: i })));
    await new Promise((r) => setTimeout(r, 20)); // frozen clock: it is waiting for tokens now
    expect(ws.sent.length).toBe(3); // welcome + two pongs (the second into debt), then it waits
    ws.close();
    await conn.idle(); // resolves: the wait was woken by the close
    expect(ws.sent.length).toBe(3);
    store.close();
  });

  it('handles none of the frames still queued once the connection closes', async () => {
    const store = LogStore.open({ file: ':memory:', schema: parseSchema(SCHEMA), now: () => 0 });
    const hub = hubOf(store);
    const ws = new FakeSocket();
    const conn = hub.accept(ws as unknown as WebSocket, 'fake');
    ws.emit('message', Buffer.from(JSON.stringify({ type: 'hello', protocol: 1, client_id: 'c', last_lsn: 0 })));
    for (let i = 0; i < 5; i++) ws.emit('message', Buffer.from(JSON.stringify({ type: 'client_change', changes: [todo(`q${i}`, `q${i}`, 'x')] })));
    ws.close();
    await conn.idle();
    expect(store.lsn()).toBe(0);
    store.close();
  });
});
