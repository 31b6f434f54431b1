/**
 * The demo page: two independent sync clients (each its own Web Worker and IndexedDB database)
 * side by side on one shared todo list. Where the sync server is: `?sync=ws://...` in the page
 * URL, else `/config.json` written by the demo server (demo/server.ts).
 */
import { createSyncClient } from '../lib/index.js';
import { mountClientPanel } from './panel.js';
import { DEMO_SCHEMA, type DemoConfig } from './schema.js';

async function main(): Promise<void> {
  const config = (await (await fetch('config.json')).json()) as DemoConfig;
  const syncUrl = new URLSearchParams(location.search).get('sync') ?? config.syncUrl;
  document.querySelector('[data-field="server"]')!.textContent = syncUrl;
  for (const side of ['left', 'right'] as const) {
    const client = createSyncClient({
      url: syncUrl,
      schema: DEMO_SCHEMA,
      storage: 'indexeddb',
      // Two clients in one page need two databases; a new server log (new id) starts them afresh.
      dbName: `rsw-demo-${side}-${config.serverId}`,
      backoff: { initialDelay: 250, maxDelay: 5000 },
    });
    const root = document.querySelector<HTMLElement>(`[data-client="${side}"]`)!;
    mountClientPanel(root, side === 'left' ? 'Left client' : 'Right client', client);
  }
}

main().catch((e: unknown) => {
  const box = document.querySelector('[data-field="fatal"]')!;
  box.textContent = `The demo could not start: ${(e as Error).message ?? String(e)}`;
  box.removeAttribute('hidden');
});
