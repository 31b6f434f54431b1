/**
 * A worker that cannot start is never silent (issue 11, point 4). Real Chromium workers: a worker
 * script that 404s, a wasm URL that 404s, a worker that never answers. Each time `ready` rejects
 * with `worker_start_failed` naming what failed, and the same error is on `errors$` and in
 * `status.lastError`.
 */
import { firstValueFrom, toArray } from 'rxjs';
import { createSyncClient, ErrorCodes, SyncError, type SyncClient, type SyncClientOptions } from '../../lib/index.js';
import { TEST_SCHEMA } from '../support/schema.js';
import { uniqueName } from '../support/browser-env.js';
import { waitFor } from '../support/wait.js';

describe('a sync worker that cannot start (Chromium)', () => {
  const clients: SyncClient[] = [];
  const open = (extra: Partial<SyncClientOptions>) => {
    const c = createSyncClient({ schema: TEST_SCHEMA, storage: 'memory', dbName: uniqueName('db'), ...extra });
    clients.push(c);
    return c;
  };
  afterEach(() => {
    for (const c of clients.splice(0)) c.terminate();
  });

  /** `ready`'s rejection, the error on errors$ and status.lastError, all for one client. */
  async function startFailure(c: SyncClient): Promise<{ ready: SyncError; emitted: SyncError[]; lastError: { code: string; message: string } }> {
    const errors = firstValueFrom(c.errors$.pipe(toArray()));
    const ready = await c.ready.then(
      () => { throw new Error('ready resolved'); },
      (e: unknown) => e as SyncError,
    );
    const status = await waitFor(c.status$, (s) => s.lastError !== null, 'status.lastError');
    c.terminate();
    return { ready, emitted: await errors, lastError: status.lastError! };
  }

  it('rejects ready when the worker script is a 404, naming the script and the fix', async () => {
    const missing = new URL('/base/no-such-dir/sync.worker.js', location.href).href;
    const r = await startFailure(open({ worker: () => new Worker(missing, { type: 'module' }) }));
    expect(r.ready).toBeInstanceOf(SyncError);
    expect(r.ready.code).toBe(ErrorCodes.WORKER_START);
    expect(r.ready.message).toContain('did not load');
    expect(r.ready.message).toContain('worker');
    expect(r.emitted.map((e) => e.code)).toEqual([ErrorCodes.WORKER_START]);
    expect(r.emitted[0]!.message).toBe(r.ready.message);
    expect(r.lastError.code).toBe(ErrorCodes.WORKER_START);
    expect(r.lastError.message).toBe(r.ready.message);
  });

  it('rejects ready when the wasm URL is wrong, naming that URL', async () => {
    const wrong = new URL('/base/no-such-dir/sql-wasm.wasm', location.href).href;
    const r = await startFailure(open({ wasmUrl: '/base/no-such-dir/sql-wasm.wasm' }));
    expect(r.ready.code).toBe(ErrorCodes.WORKER_START);
    expect(r.ready.message).toContain(wrong);
    expect(r.ready.message).toContain('wasmUrl');
    expect(r.emitted.map((e) => e.code)).toEqual([ErrorCodes.WORKER_START]);
    expect(r.lastError.message).toBe(r.ready.message);
  });

  it('rejects ready when the worker loads but never says ready (startTimeout)', async () => {
    const silent = URL.createObjectURL(new Blob(['/* a worker that never answers */'], { type: 'text/javascript' }));
    const r = await startFailure(open({ worker: () => new Worker(silent, { type: 'module' }), startTimeout: 300 }));
    URL.revokeObjectURL(silent);
    expect(r.ready.code).toBe(ErrorCodes.WORKER_START);
    expect(r.ready.message).toContain('within 300 ms');
    expect(r.lastError.code).toBe(ErrorCodes.WORKER_START);
  });

  it('after ready, an uncaught error in the worker is an internal_error on errors$ (ready stays resolved)', async () => {
    // A stand-in worker that answers init, then throws: what an uncaught exception in a running host does.
    const script = `self.onmessage = (e) => { const m = e.data; if (m.type === 'init') { postMessage({ type: 'ready', id: m.id, client_id: 'c1', lsn: 0 }); setTimeout(() => { throw new Error('boom in the worker'); }, 0); } };`;
    const url = URL.createObjectURL(new Blob([script], { type: 'text/javascript' }));
    const c = open({ worker: () => new Worker(url) });
    const error = firstValueFrom(c.errors$);
    await c.ready;
    const e = await error;
    URL.revokeObjectURL(url);
    expect(e.code).toBe(ErrorCodes.INTERNAL);
    expect(e.message).toContain('boom in the worker');
  });
});
