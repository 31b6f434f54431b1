/**
 * rx-sync-worker/angular with a real Angular environment injector (what bootstrapApplication makes)
 * and a real client (in-process host, real sql.js): one client per app, started with it and closed
 * when it is destroyed; status and live queries as Signals. The example app (spec/angular/
 * example.node.spec.ts) shows the same in Chromium with change detection, zoneless.
 */
import { Injector, createEnvironmentInjector, runInInjectionContext, type EnvironmentInjector } from '@angular/core';
import { firstValueFrom, toArray } from 'rxjs';
import { injectLiveQuery, injectSyncClient, injectSyncStatus, provideSyncClient } from '../../lib/angular/index.js';
import type { SyncClientOptions } from '../../lib/index.js';
import { TEST_SCHEMA } from '../support/schema.js';
import { eventually } from '../support/wait.js';

const OPTIONS: SyncClientOptions = { schema: TEST_SCHEMA, storage: 'memory', worker: false };

function appInjector(options: SyncClientOptions | (() => SyncClientOptions) = OPTIONS): EnvironmentInjector {
  return createEnvironmentInjector([provideSyncClient(options)], Injector.NULL as EnvironmentInjector, 'test app');
}

describe('rx-sync-worker/angular', () => {
  it('makes one client per app, started with it, closed when the app is destroyed', async () => {
    const app = appInjector();
    const a = runInInjectionContext(app, () => injectSyncClient());
    const b = runInInjectionContext(app, () => injectSyncClient());
    expect(a).toBe(b);
    await a.ready;
    const statuses = firstValueFrom(a.status$.pipe(toArray()));
    app.destroy();
    // status$ completes once the client is closed.
    await statuses;
    await expectAsync(a.query('SELECT 1')).toBeRejected();
    const other = appInjector();
    expect(runInInjectionContext(other, () => injectSyncClient())).not.toBe(a);
    other.destroy();
  });

  it('takes options from a function run in the injection context', async () => {
    let calls = 0;
    const app = appInjector(() => {
      calls++;
      return OPTIONS;
    });
    const client = runInInjectionContext(app, () => injectSyncClient());
    await client.ready;
    expect(calls).toBe(1);
    app.destroy();
  });

  it('gives the status and a live query as Signals that follow the client', async () => {
    const app = appInjector();
    const client = runInInjectionContext(app, () => injectSyncClient());
    const status = runInInjectionContext(app, () => injectSyncStatus());
    const rows = runInInjectionContext(app, () => injectLiveQuery<{ id: string; title: string }>('SELECT id, title FROM todos ORDER BY id'));
    expect(rows()).toEqual([]);
    await client.ready;
    await client.insert('todos', { id: 'a', title: 'first', done: 0 });
    await eventually(() => rows().length === 1, 'the live query signal shows the row');
    expect(rows()).toEqual([{ id: 'a', title: 'first' }]);
    await client.insert('todos', { id: 'b', title: 'second', done: 0 });
    await eventually(() => status().pending === 2, 'the status signal counts both pending changes');
    app.destroy();
  });
});
