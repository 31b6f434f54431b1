/**
 * Angular wiring: ONE sync client per application, made by the application's environment injector
 * and closed when that injector (the app) is destroyed.
 *
 * ```ts
 * // app.config.ts
 * export const appConfig: ApplicationConfig = {
 *   providers: [provideZonelessChangeDetection(), provideSyncClient({ url, schema, worker: () => new Worker(...) })],
 * };
 * ```
 */
import { DestroyRef, InjectionToken, inject, makeEnvironmentProviders, provideEnvironmentInitializer, type EnvironmentProviders } from '@angular/core';
import { createSyncClient, type SyncClient } from '../client/create-sync-client.js';
import type { SyncClientOptions } from '../client/options.js';

/** The application's sync client (what {@link injectSyncClient} returns). */
export const SYNC_CLIENT = new InjectionToken<SyncClient>('rx-sync-worker SyncClient');

/**
 * Provide the app's sync client. `options` may be a function, called in an injection context, so it
 * can `inject()` what it needs (a config service, an auth service for `token`). The client starts
 * with the application (its worker loads while the app bootstraps) and is closed (flushed, worker
 * stopped) when the application is destroyed.
 */
export function provideSyncClient(options: SyncClientOptions | (() => SyncClientOptions)): EnvironmentProviders {
  return makeEnvironmentProviders([
    {
      provide: SYNC_CLIENT,
      useFactory: (): SyncClient => {
        const client = createSyncClient(typeof options === 'function' ? options() : options);
        inject(DestroyRef).onDestroy(() => void client.close().catch(() => undefined));
        return client;
      },
    },
    // Start it with the app rather than at the first inject().
    provideEnvironmentInitializer(() => void inject(SYNC_CLIENT)),
  ]);
}

/** The app's sync client (call in an injection context: a constructor, a field initialiser, a factory). */
export function injectSyncClient(): SyncClient {
  return inject(SYNC_CLIENT);
}
