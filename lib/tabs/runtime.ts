/**
 * The browser's parts for the tabs mode, or null where a host lacks Web Locks or BroadcastChannel
 * (the client then runs one engine per tab, as before; the store's owner epoch still refuses a
 * second writer).
 */
import { asyncScheduler } from 'rxjs';
import type { BroadcastLike } from './bus.js';
import type { LocksLike } from './election.js';
import type { TabsRuntime } from './options.js';

interface TabsGlobals {
  navigator?: { locks?: LocksLike };
  BroadcastChannel?: new (name: string) => BroadcastLike;
  crypto?: { randomUUID?: () => string };
}

/** The browser's tabs runtime, or null when it is missing a part. */
export function browserTabsRuntime(scope: TabsGlobals = globalThis as TabsGlobals): TabsRuntime | null {
  const locks = scope.navigator?.locks;
  const Broadcast = scope.BroadcastChannel;
  const crypto = scope.crypto;
  if (!locks || typeof locks.request !== 'function' || typeof Broadcast !== 'function' || typeof crypto?.randomUUID !== 'function') return null;
  return {
    locks,
    openBus: (name) => new Broadcast(name),
    scheduler: asyncScheduler,
    newId: () => crypto.randomUUID!(),
  };
}
