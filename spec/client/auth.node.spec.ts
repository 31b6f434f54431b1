/**
 * Tokens through the public API: `token()` is asked on every (re)connect, across the worker
 * protocol (`token_request` / `token_response`), and a refused token is reported on errors$.
 */
import { createSyncClient, type SyncClient } from '../../lib/index.js';
import { signToken, startSyncServer } from '../../server/index.js';
import { TEST_SCHEMA } from '../support/schema.js';
import { eventually, waitFor } from '../support/wait.js';

describe('createSyncClient with auth (Node, real server)', () => {
  const secret = 'test-secret-0123456789';
  let server: Awaited<ReturnType<typeof startSyncServer>>;
  let client: SyncClient | null = null;

  beforeEach(async () => {
    server = await startSyncServer({ host: '127.0.0.1', port: 0, db: ':memory:', schema: TEST_SCHEMA, auth: { secret }, logger: 'silent' });
  });
  afterEach(async () => {
    await client?.close().catch(() => undefined);
    client = null;
    await server?.close();
  });

  it('calls token() on every connect, so a refreshed token is used', async () => {
    const issued: string[] = [];
    client = createSyncClient({
      url: server.url, schema: TEST_SCHEMA, worker: false, storage: 'memory', backoff: { initialDelay: 10, maxDelay: 50 },
      token: async () => {
        const t = signToken(secret, { sub: 'user-1', exp: Math.floor(Date.now() / 1000) + 60 + issued.length });
        issued.push(t);
        return t;
      },
    });
    await waitFor(client.status$, (s) => s.connection === 'synced', 'synced with a token');
    expect(issued.length).toBe(1);
    client.disconnect();
    await waitFor(client.status$, (s) => s.connection === 'disconnected', 'disconnected');
    client.connect();
    await waitFor(client.status$, (s) => s.connection === 'synced', 'synced again');
    expect(issued.length).toBe(2);
    expect(issued[0]).not.toBe(issued[1]);
    await client.insert('todos', { id: 'a', title: 'authed', done: 0 });
    await waitFor(client.status$, (s) => s.pending === 0 && s.lsn === 1, 'acked');
  });

  it('reports a refused token on errors$ and does not loop: the next dial waits the auth delay', async () => {
    let calls = 0;
    const warnings: Array<{ message: string; context: Record<string, unknown> }> = [];
    client = createSyncClient({
      url: server.url, schema: TEST_SCHEMA, worker: false, storage: 'memory', backoff: { initialDelay: 1, maxDelay: 5 },
      token: () => {
        calls++;
        return 'forged.token';
      },
      logger: { warn: (message: unknown, context: unknown) => warnings.push({ message: String(message), context: context as Record<string, unknown> }) },
    });
    const error = await waitFor(client.errors$, (e) => e.code === 'auth_error', 'auth error');
    expect(error.message).toBeTruthy();
    // No window to sleep through: the transport says which wait it chose when it chose it. The
    // long auth wait (5 minutes), not the 1-5 ms backoff, is what comes before the next token().
    await eventually(() => warnings.some((w) => w.message === 'transport: auth rejected'), 'the auth wait chosen');
    expect(warnings.find((w) => w.message === 'transport: auth rejected')!.context).toEqual(jasmine.objectContaining({ retry_in: 300_000 }));
    expect(calls).toBe(1);
    expect(server.lsn()).toBe(0);
  });
});
