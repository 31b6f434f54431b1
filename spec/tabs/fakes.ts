/**
 * In-memory stand-ins for what the tabs mode takes from a browser: a Web Locks manager (queue,
 * steal, release), a BroadcastChannel hub (asynchronous delivery to every OTHER member, which a
 * spec can cut off for one tab: a frozen page), and engines that are real sync hosts in-process on
 * one shared memory medium (the "IndexedDB" every tab sees).
 */
import { asyncScheduler } from 'rxjs';
import { inProcessChannelPair, type Channel } from '../../lib/client/channel.js';
import { createMemoryMedium, memoryPersistence } from '../../lib/store/persistence.js';
import { startSyncHost } from '../../lib/worker/host.js';
import type { BroadcastLike } from '../../lib/tabs/bus.js';
import type { LocksLike } from '../../lib/tabs/election.js';
import type { TabsRuntime } from '../../lib/tabs/options.js';

interface Waiter {
  grant: () => void;
  signal?: AbortSignal;
}

/** A lock manager with one lock per name. */
export class FakeLocks implements LocksLike {
  private readonly held = new Map<string, { release: () => void; steal: (e: Error) => void }>();
  private readonly queues = new Map<string, Waiter[]>();

  request(name: string, options: { steal?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => Promise<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const grant = () => {
        let done = false;
        const finish = (f: () => void) => {
          if (done) return;
          done = true;
          this.held.delete(name);
          f();
          this.next(name);
        };
        this.held.set(name, { release: () => undefined, steal: (e) => finish(() => reject(e)) });
        callback({ name }).then((v) => finish(() => resolve(v)), (e: unknown) => finish(() => reject(e)));
      };
      if (options.steal) {
        this.held.get(name)?.steal(Object.assign(new Error('stolen'), { name: 'AbortError' }));
        this.held.delete(name);
        return grant();
      }
      const waiter: Waiter = { grant, ...(options.signal && { signal: options.signal }) };
      options.signal?.addEventListener('abort', () => {
        const q = this.queues.get(name) ?? [];
        const i = q.indexOf(waiter);
        if (i >= 0) q.splice(i, 1);
        reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      });
      if (!this.held.has(name)) return grant();
      this.queues.set(name, [...(this.queues.get(name) ?? []), waiter]);
    });
  }

  private next(name: string): void {
    if (this.held.has(name)) return;
    const w = this.queues.get(name)?.shift();
    if (w) w.grant();
  }
}

/** Broadcast channels of one "origin". */
export class FakeBroadcastHub {
  private readonly members = new Set<{ name: string; tab: string; listeners: Set<(e: { data: unknown }) => void> }>();
  /** Tabs whose messages are neither delivered nor sent (a page whose main thread stopped). */
  readonly frozen = new Set<string>();

  open(tab: string) {
    return (name: string): BroadcastLike => {
      const me = { name, tab, listeners: new Set<(e: { data: unknown }) => void>() };
      this.members.add(me);
      return {
        postMessage: (data) => {
          if (this.frozen.has(tab)) return;
          const copy = structuredClone(data);
          for (const m of this.members) {
            if (m !== me && m.name === name) setTimeout(() => {
              if (!this.frozen.has(m.tab)) for (const l of m.listeners) l({ data: copy });
            }, 0);
          }
        },
        addEventListener: (_t, l) => void me.listeners.add(l),
        removeEventListener: (_t, l) => void me.listeners.delete(l),
        close: () => void this.members.delete(me),
      };
    };
  }
}

/** Tabs on one fake browser: shared locks, bus and medium. */
export function fakeBrowser() {
  const locks = new FakeLocks();
  const hub = new FakeBroadcastHub();
  const medium = createMemoryMedium();
  let n = 0;
  /** Every engine started, and whether it was stopped since. */
  const engines: { channel: Channel; stopped: boolean }[] = [];
  return {
    hub,
    medium,
    engines,
    runtime(tab: string): TabsRuntime {
      return { locks, openBus: hub.open(tab), scheduler: asyncScheduler, newId: () => `${tab}-${++n}` };
    },
    /** A real sync host in-process on the shared medium. */
    openEngine: (): Promise<Channel> => {
      const [client, host] = inProcessChannelPair();
      startSyncHost(host, { WebSocket: undefined, persistence: memoryPersistence(medium), newId: () => `id-${++n}` });
      const engine = { channel: client, stopped: false };
      engines.push(engine);
      return Promise.resolve({
        ...client,
        terminate: () => {
          engine.stopped = true;
          client.terminate();
        },
      });
    },
  };
}
