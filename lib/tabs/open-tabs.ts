/**
 * Whether a client shares its database with the other tabs, and the channel it then uses. Tabs
 * share when the data is in IndexedDB (tabs of one origin see the same databases) and the host
 * has Web Locks and BroadcastChannel, unless the app said `tabs: false`.
 */
import type { Channel } from '../client/channel.js';
import type { TabsOptions, TabsRuntime } from './options.js';
import { browserTabsRuntime } from './runtime.js';
import { tabChannel } from './tab-channel.js';

/** The part of the client options this needs. */
export interface TabsClientOptions {
  tabs?: boolean | TabsOptions;
  storage?: unknown;
  dbName?: string;
}

/** The tabs channel for these options, or null when this client runs its own engine. */
export function openTabsChannel(options: TabsClientOptions, openEngine: () => Promise<Channel>, runtime: TabsRuntime | null = browserTabsRuntime()): Channel | null {
  if (options.tabs === false || runtime === null) return null;
  if (options.storage !== undefined && options.storage !== 'indexeddb') return null;
  return tabChannel(options.dbName ?? 'rx-sync-worker', typeof options.tabs === 'object' ? options.tabs : {}, openEngine, runtime);
}
