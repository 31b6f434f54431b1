/** The `logger` option: used as given in-process; nothing is logged without one. */
import { createSyncClient, type SyncClient } from '../../lib/index.js';
import { TEST_SCHEMA } from '../support/schema.js';
import { waitFor } from '../support/wait.js';

describe('client logger option (worker: false)', () => {
  let client: SyncClient | null = null;
  afterEach(async () => {
    await client?.close().catch(() => undefined);
    client = null;
  });

  it('sends the engine\'s warnings to the app\'s logger', async () => {
    const warnings: unknown[][] = [];
    client = createSyncClient({
      url: 'ws://127.0.0.1:9/sync', // nothing listens on the discard port: the dial fails
      schema: TEST_SCHEMA, worker: false, storage: 'memory', backoff: { initialDelay: 10, maxDelay: 20 },
      logger: { warn: (...args: unknown[]) => warnings.push(args) },
    });
    await waitFor(client.errors$, (e) => e.code === 'connection_error', 'a connection error');
    await client.query('SELECT 1');
    expect(warnings.length).toBeGreaterThan(0);
    expect(String(warnings[0]![0])).toBeTruthy();
  });

  it('logs nothing to the console without a logger', async () => {
    const spies = (['debug', 'info', 'warn', 'error', 'log'] as const).map((m) => spyOn(console, m).and.callThrough());
    client = createSyncClient({ url: 'ws://127.0.0.1:9/sync', schema: TEST_SCHEMA, worker: false, storage: 'memory', backoff: { initialDelay: 10, maxDelay: 20 } });
    await waitFor(client.errors$, (e) => e.code === 'connection_error', 'a connection error');
    await client.query('SELECT 1');
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });
});
