/**
 * A client whose options the worker refuses is never silent: `ready` rejects with the decoder's
 * ProtocolError naming the option, and the same error reaches `errors$` (in-process host, real
 * sql.js store). A `clientId` with the reserved `rsw:` prefix is refused here, before any dial:
 * the server would refuse its hello (close 4400) on every reconnect.
 */
import { ProtocolError, createSyncClient, type SyncClient, type SyncError } from '../../lib/index.js';
import { startSyncHost } from '../../lib/worker/host.js';
import { inProcessChannelPair } from '../../lib/client/channel.js';
import { platformParts } from '../../lib/platform/runtime.js';
import { TEST_SCHEMA } from '../support/schema.js';

describe('options the worker refuses', () => {
  const clients: SyncClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  });

  const start = async (clientId: string): Promise<{ error: unknown; errors: SyncError[] }> => {
    // No server listens there: a refused option must fail before any dial.
    const c = createSyncClient({ url: 'ws://127.0.0.1:9/sync', schema: TEST_SCHEMA, worker: false, storage: 'memory', clientId });
    clients.push(c);
    const errors: SyncError[] = [];
    c.errors$.subscribe((e) => errors.push(e));
    const error = await c.ready.then(() => null, (e: unknown) => e);
    return { error, errors };
  };

  for (const [what, clientId] of [['the reserved rsw: prefix', 'rsw:snapshot'], ['a space', 'my client']] as const) {
    it(`rejects ready for a clientId with ${what}, naming the option`, async () => {
      const { error, errors } = await start(clientId);
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as Error).message).toContain('options.clientId');
      expect((error as Error).message).toContain('not starting with "rsw:"');
      expect(errors.map((e) => e.message)).toContain((error as Error).message);
    });
  }

  it('starts with an ordinary clientId', async () => {
    const { error } = await start('device-7');
    expect(error).toBeNull();
  });

  it('answers any request that does not decode with an error carrying its id', async () => {
    const [client, host] = inProcessChannelPair();
    startSyncHost(host, { ...(await platformParts()) });
    const answers: unknown[] = [];
    // Four answers are due; the spec's timeout bounds the wait.
    const four = new Promise<void>((resolve) => client.messages$.subscribe((m) => answers.push(m) >= 4 && resolve()));
    client.post({ type: 'init', id: 41, options: { schema: TEST_SCHEMA, storage: 'memory', clientId: 'rsw:db' } });
    client.post({ type: 'query', id: 42, sql: 'SELECT 1', params: [{ not: 'a value' }] });
    client.post({ type: 'no_such_type', id: 43 });
    client.post({ type: 'token_response', id: -1, token: 7 });
    await four;
    const errors = answers.flat() as { type: string; id?: number; error: { name: string } }[];
    expect(errors.map((m) => [m.type, m.id, m.error.name])).toEqual([
      ['error', 41, 'ProtocolError'], ['error', 42, 'ProtocolError'], ['error', 43, 'ProtocolError'], ['error', undefined, 'ProtocolError'],
    ]);
  });
});
