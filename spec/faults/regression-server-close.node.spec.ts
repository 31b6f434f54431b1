/**
 * Regression (found by the server-restart fault): `server.close()` hung forever when a client
 * connected during its close grace period (a client reconnecting at once, as every client does
 * after the 1001 close). The upgrade was still accepted after `closeAll`, so nobody closed that
 * socket and `wss.close()` waited for it. Fixed in server/index.ts: stop accepting upgrades
 * before waiting for the open sockets.
 */
import { WebSocket } from 'ws';
import { startSyncServer, type SyncServer } from '../../server/index.js';
import { freshPgUrl, serversOnPostgres } from '../support/pg.js';
import { TEST_SCHEMA } from '../support/schema.js';
import { FaultProxy } from './support/proxy.js';

describe('regression: server.close() with a client connecting during the grace period', () => {
  let server: SyncServer;
  let proxy: FaultProxy;
  const sockets: WebSocket[] = [];
  const open = (url: string) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url);
      sockets.push(ws);
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
      ws.once('unexpected-response', () => reject(new Error('refused')));
    });

  beforeEach(async () => {
    server = await startSyncServer({ host: '127.0.0.1', port: 0, db: serversOnPostgres() ? freshPgUrl() : ':memory:', schema: TEST_SCHEMA, logger: 'silent' });
    proxy = await FaultProxy.start(server.port);
  });
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    await proxy.close();
  });

  it('resolves, and the late client is refused', async () => {
    // A client that never sees the close frame (its downstream stalls) keeps the grace period going.
    const slow = await open(proxy.url);
    slow.send(JSON.stringify({ type: 'hello', protocol: 1, client_id: 'slow', last_lsn: 0 }));
    await new Promise<void>((resolve) => slow.once('message', () => resolve()));
    proxy.stall('down');
    const closing = server.close();
    const late = await open(server.url).then(() => 'accepted', () => 'refused');
    const outcome = await Promise.race([closing.then(() => 'closed'), new Promise((r) => setTimeout(r, 5000, 'hung'))]);
    expect(outcome).toBe('closed');
    expect(late).toBe('refused');
  }, 10_000);
});
