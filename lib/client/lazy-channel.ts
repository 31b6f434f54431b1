/**
 * A channel usable at once whose real end arrives later: the worker module (or the leader tab)
 * is found asynchronously, and messages posted meanwhile wait in order.
 */
import { Observable } from 'rxjs';
import { ErrorCodes, SyncError } from '../errors.js';
import type { Channel } from './channel.js';

/** A channel usable at once, whose real end arrives later (the worker module loads asynchronously). */
export function lazyChannel(channel: Promise<Channel>, onError: (e: SyncError) => void): Channel {
  const queue: unknown[] = [];
  let real: Channel | null = null;
  channel.then(
    (c) => {
      real = c;
      for (const m of queue.splice(0)) c.post(m);
    },
    (e) => onError(e instanceof SyncError ? e : new SyncError(ErrorCodes.WORKER_START, `could not start the sync host: ${e instanceof Error ? e.message : String(e)}`, { cause: e })),
  );
  return {
    post: (m) => (real ? real.post(m) : queue.push(m)),
    messages$: new Observable<unknown>((sub) => {
      let inner: { unsubscribe(): void } | null = null;
      let done = false;
      channel.then((c) => {
        if (!done) inner = c.messages$.subscribe(sub);
      }, () => sub.complete());
      return () => {
        done = true;
        inner?.unsubscribe();
      };
    }),
    terminate: () => void channel.then((c) => c.terminate()),
  };
}
