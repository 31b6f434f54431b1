/**
 * Changes per second, from a client's status stream: how far the LSN moved in each second.
 * Pure RxJS over a SchedulerLike, so a marble test can drive it (spec/demo/rate.spec.ts).
 */
import { asyncScheduler, bufferTime, map, pairwise, scan, type Observable, type SchedulerLike } from 'rxjs';
import type { SyncStatus } from '../lib/index.js';

/**
 * Emits once per `windowMs` the number of server changes (LSN steps) applied in that window.
 * A step that starts from `disconnected` is the stored LSN being loaded (or nothing), not traffic,
 * so it does not count.
 */
export function changesPerWindow(status$: Observable<SyncStatus>, windowMs = 1000, scheduler: SchedulerLike = asyncScheduler): Observable<number> {
  return status$.pipe(
    pairwise(),
    map(([prev, next]) => (prev.connection === 'disconnected' ? 0 : Math.max(0, next.lsn - prev.lsn))),
    bufferTime(windowMs, scheduler),
    map((steps) => steps.reduce((sum, n) => sum + n, 0)),
  );
}

/** The last `size` values of `rate$`, oldest first, zero-filled at the start (for a small bar chart). */
export function rateHistory(rate$: Observable<number>, size = 30): Observable<number[]> {
  return rate$.pipe(scan((hist, n) => [...hist.slice(1), n], new Array<number>(size).fill(0)));
}
