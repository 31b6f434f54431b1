/**
 * The connection manager with real `ws` sockets on 127.0.0.1 (port 0): against a small ws
 * server written here, and against the reference server (startSyncServer).
 */
import { WebSocket, WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { asyncScheduler, filter, firstValueFrom, skip, take, timeout } from 'rxjs';
import { ErrorCodes, type SyncError } from '../../lib/errors.js';
import type { TransportState } from '../../lib/engine/ports.js';
import { createTransport, type Transport, type TransportOptions } from '../../lib/transport/index.js';
import { signToken, startSyncServer, type SyncServer } from '../../server/index.js';
import { parseSchema } from '../../lib/protocol/index.js';
import { TEST_SCHEMA } from '../support/schema.js';

/** A tiny server: answers hello with welcome and ping with pong, records every frame per connection. */
async function miniServer() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const connections: Array<{ socket: ServerSocket; frames: Array<Record<string, unknown>> }> = [];
  wss.on('connection', (socket) => {
    const conn = { socket, frames: [] as Array<Record<string, unknown>> };
    connections.push(conn);
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Record<string, unknown>;
      conn.frames.push(frame);
      if (frame['type'] === 'hello') socket.send(JSON.stringify({ type: 'welcome', server_lsn: 0 }));
      if (frame['type'] === 'ping') socket.send(JSON.stringify({ type: 'pong', t: frame['t'] }));
    });
  });
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/sync`,
    connections,
    close: () => new Promise<void>((resolve) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => resolve());
    }),
  };
}

function realTransport(url: string, overrides: Partial<TransportOptions> = {}): { transport: Transport; tokens: number[] } {
  const tokens: number[] = [];
  const transport = createTransport({
    url,
    WebSocket,
    hello: () => ({ client_id: 'node-client', last_lsn: 0 }),
    token: async () => `t${tokens.push(tokens.length + 1)}`,
    scheduler: asyncScheduler,
    random: () => 0.5,
    backoff: { initialDelay: 40, maxDelay: 200, multiplier: 2 },
    connectTimeout: 2000,
    heartbeat: { interval: 5000, timeout: 2000 },
    ...overrides,
  });
  return { transport, tokens };
}

/** The next time state$ is `state` (bounded). */
function reach(t: Transport, state: TransportState, skipCurrent = false): Promise<TransportState> {
  return firstValueFrom(t.state$.pipe(skip(skipCurrent ? 1 : 0), filter((s) => s === state), take(1), timeout(3000)));
}

/** Wait (bounded) until `cond` holds. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('transport over real ws sockets', () => {
  let server: Awaited<ReturnType<typeof miniServer>>;
  let transport: Transport;
  let tokens: number[];
  beforeEach(async () => {
    server = await miniServer();
    ({ transport, tokens } = realTransport(server.url));
  });
  afterEach(async () => {
    transport.close();
    await server.close();
  });

  it('handshakes: hello with token, then welcome on message$ and state open', async () => {
    const welcome = firstValueFrom(transport.message$.pipe(take(1), timeout(3000)));
    transport.connect();
    await reach(transport, 'open');
    expect(await welcome).toEqual({ type: 'welcome', server_lsn: 0 });
    expect(server.connections[0]!.frames).toEqual([{ type: 'hello', protocol: 1, client_id: 'node-client', last_lsn: 0, token: 't1' }]);
  });

  it('reconnects after the server drops the connection, with a fresh token', async () => {
    const errors: SyncError[] = [];
    transport.errors$.subscribe((e) => errors.push(e));
    transport.connect();
    await reach(transport, 'open');
    server.connections[0]!.socket.terminate();
    await reach(transport, 'closed', true);
    await reach(transport, 'open');
    expect(server.connections.length).toBe(2);
    expect(server.connections[1]!.frames[0]).toEqual(jasmine.objectContaining({ type: 'hello', token: 't2' }));
    expect(tokens.length).toBe(2);
    expect(errors.map((e) => e.code)).toEqual([ErrorCodes.CONNECTION]);
  });

  it('buffers frames sent while closed and flushes them after the next welcome, behind hello', async () => {
    transport.connect();
    await reach(transport, 'open');
    const accepted: boolean[] = [];
    // Send the moment the drop is seen: the transport is surely closed then.
    transport.state$.pipe(skip(1), filter((s) => s === 'closed'), take(1)).subscribe(() => {
      accepted.push(transport.send({ type: 'ack', lsn: 1 }), transport.send({ type: 'sync_request', from_lsn: 1 }));
    });
    server.connections[0]!.socket.close(1001, 'going away');
    await reach(transport, 'closed', true);
    await reach(transport, 'open');
    expect(accepted).toEqual([true, true]);
    await until(() => (server.connections[1]?.frames.length ?? 0) >= 3, 'flushed frames');
    expect(server.connections[1]!.frames.map((f) => f['type'])).toEqual(['hello', 'ack', 'sync_request']);
  });

  it('heartbeat: pings a quiet connection and the pong keeps it open', async () => {
    transport.close();
    ({ transport } = realTransport(server.url, { heartbeat: { interval: 30, timeout: 200 } }));
    transport.connect();
    await reach(transport, 'open');
    await until(() => server.connections[0]!.frames.filter((f) => f['type'] === 'ping').length >= 3, 'three pings');
    expect(server.connections.length).toBe(1);
  });
});

describe('transport against the reference server', () => {
  const SECRET = 'a-test-secret-of-32-characters!!';
  let server: SyncServer;
  let transport: Transport | undefined;
  beforeEach(async () => {
    server = await startSyncServer({ host: '127.0.0.1', port: 0, db: ':memory:', schema: TEST_SCHEMA, logger: 'silent', auth: { secret: SECRET } });
  });
  afterEach(async () => {
    transport?.close();
    await server.close();
  });

  it('handshakes with a signed token and gets the server identity in welcome', async () => {
    const token = signToken(SECRET, { sub: 'alice', exp: Math.floor(Date.now() / 1000) + 60 });
    ({ transport } = realTransport(server.url, { token: () => token, schema: parseSchema(TEST_SCHEMA) }));
    const welcome = firstValueFrom(transport.message$.pipe(take(1), timeout(3000)));
    transport.connect();
    await reach(transport, 'open');
    expect(await welcome).toEqual(jasmine.objectContaining({ type: 'welcome', server_lsn: 0, server_id: server.serverId }));
  });

  it('a refused token is reported as AUTH once, without a reconnect loop', async () => {
    ({ transport } = realTransport(server.url, { token: () => 'forged.token', backoff: { initialDelay: 1, maxDelay: 1, multiplier: 1 } }));
    const errors: SyncError[] = [];
    transport.errors$.subscribe((e) => errors.push(e));
    let dials = 0;
    transport.state$.pipe(filter((s) => s === 'connecting')).subscribe(() => dials++);
    transport.connect();
    await until(() => errors.length > 0, 'auth error');
    await reach(transport, 'closed');
    // A tight loop (backoff is 1 ms here) would dial again within a few ms: none comes in 150 ms.
    const redial = firstValueFrom(transport.state$.pipe(filter((s) => s === 'connecting'), timeout(150)));
    await expectAsync(redial).toBeRejectedWithError(/Timeout/);
    expect(dials).toBe(1);
    expect(errors.map((e) => e.code)).toEqual([ErrorCodes.AUTH]);
  });
});
