import { ApplicationConfig, provideBrowserGlobalErrorListeners } from '@angular/core';
import { provideSyncClient } from 'rx-sync-worker/angular';
import { schema } from './schema';

/** The sync server: `?server=ws://...` (the spec's server), else the page's own host. */
const server = new URLSearchParams(location.search).get('server') ?? `ws://${location.host}/sync`;

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideSyncClient({
      url: server,
      schema,
      worker: () => new Worker(new URL('./sync.worker', import.meta.url), { type: 'module' }),
    }),
  ],
};
