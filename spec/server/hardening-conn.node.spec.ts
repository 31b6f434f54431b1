/**
 * Issue #12 points 4 and 7 (origins): limits on connections and time. A hello timeout, a
 * heartbeat that cuts sockets that stopped answering, connection caps per IP and overall, an
 * output cap per connection, and the Origin check. Real server, real sockets; honest clients sync.
 */
import { WebSocket } from 'ws';
import type { SyncServer } from '../../server/index.js';
import { TestClient, startServer, todo } from './helpers.js';

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Open a raw socket; resolves 'open' or the HTTP status of a refused upgrade. */
function upgrade(url: string, origin?: string): Promise<{ ws: WebSocket; status: 'open' } | { status: number }> {
  const ws = new WebSocket(url, origin === undefined ? {} : { origin });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, status: 'open' }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
    });
    ws.once('error', (e) => reject(e));
  });
}

/** The honest client still handshakes and writes. */
async function honestSyncs(server: SyncServer, id: string): Promise<void> {
  const { c } = await TestClient.handshake(server.url, id);
  expect((await c.commit([todo(`${id}-1`, `${id}-row`, 'fine')])).acks[0]!.status).toBe('applied');
  await c.close();
}

describe('server hardening: connections and time', () => {
  let server: SyncServer;
  afterEach(async () => server.close());

  it('closes a socket that says no hello in time (error frame, 4408)', async () => {
    server = await startServer({ limits: { helloTimeoutMs: 150 } });
    const idle = await TestClient.open(server.url);
    expect(await idle.closed).toEqual({ code: 4408, reason: 'hello timeout' });
    expect(idle.received).toEqual([jasmine.objectContaining({ type: 'error', code: 'protocol_error', message: 'no hello within 150 ms' })]);
    await honestSyncs(server, 'honest'); // a prompt hello is unaffected (and its timer is cleared)
  });

  it('cuts a socket that stops answering pings; one that answers stays', async () => {
    server = await startServer({ limits: { heartbeatMs: 100 } });
    const { c: mute } = await TestClient.handshake(server.url, 'mute');
    const { c: alive } = await TestClient.handshake(server.url, 'alive');
    mute.ws.pause(); // reads nothing: answers no ping
    await until(() => server.clientCount() === 1, 'the mute socket to be cut');
    mute.ws.resume();
    expect((await mute.closed).code).toBe(1006); // cut, no close handshake
    expect((await alive.commit([todo('a1', 'a', 'still here')])).acks[0]!.status).toBe('applied');
    await alive.close();
  });

  it('refuses upgrades over the per-IP and the global caps with HTTP 503, and takes new ones once sockets close', async () => {
    server = await startServer({ limits: { maxConnectionsPerIp: 3, maxConnections: 3 } });
    const open = await Promise.all([0, 1, 2].map(() => upgrade(server.url)));
    expect(open.map((o) => o.status)).toEqual(['open', 'open', 'open']);
    expect((await upgrade(server.url)).status).toBe(503);
    const first = open[0]!;
    if ('ws' in first) first.ws.close();
    await until(() => server.connectionCount() === 2, 'the socket to close');
    await honestSyncs(server, 'honest');
    for (const o of open.slice(1)) if ('ws' in o) o.ws.close();
  });

  it('closes a client whose unsent output is over maxBufferedBytes (1013), the others go on', async () => {
    server = await startServer({ limits: { maxBufferedBytes: 256 * 1024 } });
    const { c: stuck } = await TestClient.handshake(server.url, 'stuck');
    stuck.ws.pause();
    const { c: writer } = await TestClient.handshake(server.url, 'writer');
    for (let i = 0; server.clientCount() === 2; i++) {
      await writer.commit([todo(`w${i}`, `w${i}`, 'b'.repeat(200 * 1024))]);
      if (i > 500) fail('never closed');
    }
    stuck.ws.resume();
    expect((await stuck.closed).code).toBe(1013);
    expect((await writer.commit([todo('after', 'after', 'ok')])).acks[0]!.status).toBe('applied');
    await writer.close();
  }, 30_000);

  it('does not close a reader in the middle of one broadcast bigger than maxBufferedBytes: what it held before the broadcast decides', async () => {
    const KiB = 1024;
    server = await startServer({ limits: { maxBufferedBytes: 256 * KiB, pageMaxBytes: 64 * KiB } });
    const { c: reader } = await TestClient.handshake(server.url, 'reader');
    reader.ws.pause();
    const { c: writer } = await TestClient.handshake(server.url, 'writer');
    // Fill the kernel's buffers for the reader until the server holds some of its output, far below the limit.
    for (let i = 0; server.outputBytes() === 0; i++) {
      await writer.commit([todo(`f${i}`, `f${i}`, 'f'.repeat(60 * KiB))]);
      if (i > 2000) fail('the kernel never filled');
    }
    const before = server.outputBytes();
    expect(before).toBeLessThan(128 * KiB);
    // One frame whose broadcast is 10 pages of about 60 KiB: 600 KiB more than the reader has taken.
    const big = Array.from({ length: 10 }, (_, k) => todo(`big${k}`, `big${k}`, 'b'.repeat(60 * KiB)));
    writer.send({ type: 'client_change', changes: big });
    const acked = (id: string) => writer.received.some((f) => f.type === 'change_ack' && f.acks.some((a) => a.change_id === id && a.status === 'applied'));
    await until(() => acked('big9'), 'the big frame applied');
    await until(() => server.outputBytes() > before + 256 * KiB || server.clientCount() < 2, 'the broadcast held for the reader');
    expect(server.clientCount()).withContext('the reader was closed mid-broadcast').toBe(2);
    reader.ws.resume();
    await until(() => reader.received.some((f) => f.type === 'server_changes' && f.changes.some((c) => c.entity_id === 'big9')), 'the reader to read it all', 20_000);
    await until(() => server.outputBytes() === 0, 'the output drained', 20_000);
    writer.send({ type: 'client_change', changes: [todo('after', 'after', 'ok')] });
    await until(() => acked('after') && reader.received.some((f) => f.type === 'server_changes' && f.changes.some((c) => c.entity_id === 'after')), 'the next change, applied and received');
    expect(reader.ws.readyState).toBe(reader.ws.OPEN);
    await writer.close();
    await reader.close();
  }, 30_000);
});

describe('server hardening: origins', () => {
  let server: SyncServer;
  afterEach(async () => server.close());

  it('an open server refuses cross-origin pages (403) but takes non-browser clients, its own origin and loopback pages', async () => {
    server = await startServer();
    expect((await upgrade(server.url, 'https://evil.example')).status).toBe(403);
    for (const origin of [undefined, `http://127.0.0.1:${server.port}`, 'http://localhost:4200']) {
      const r = await upgrade(server.url, origin);
      expect(r.status).withContext(String(origin)).toBe('open');
      if ('ws' in r) r.ws.close();
    }
  });

  it('allowedOrigins is an exact allowlist; with auth and no list any origin may try its token', async () => {
    server = await startServer({ allowedOrigins: ['https://app.example'] });
    expect((await upgrade(server.url, 'https://evil.example')).status).toBe(403);
    expect((await upgrade(server.url, 'http://localhost:4200')).status).toBe(403);
    const ok = await upgrade(server.url, 'https://app.example');
    expect(ok.status).toBe('open');
    if ('ws' in ok) ok.ws.close();
    await server.close();
    server = await startServer({ auth: { secret: 'a-test-secret-of-32-characters!!' } });
    const any = await upgrade(server.url, 'https://evil.example');
    expect(any.status).toBe('open');
    if ('ws' in any) any.ws.close();
  });
});
