/**
 * Heartbeat: after `interval` ms without any frame from the server, ask for a `ping`; if
 * `timeout` more ms pass still without any frame, declare the connection dead. Any received
 * frame (a `pong` or anything else) restarts the count, so a busy connection sends no pings.
 * A silent connection is therefore declared dead `interval + timeout` ms after its last frame.
 */
import { EMPTY, concat, distinctUntilChanged, map, startWith, switchMap, timer, type Observable, type SchedulerLike } from 'rxjs';
import type { HeartbeatOptions } from './types.js';

/** What the heartbeat asks for. */
export type HeartbeatSignal = 'ping' | 'dead';

/**
 * Heartbeat signals for one open connection. `activity$` emits on every received frame.
 * Subscribe while the connection is open; unsubscribe when it closes.
 */
export function heartbeat(activity$: Observable<unknown>, options: HeartbeatOptions, scheduler: SchedulerLike): Observable<HeartbeatSignal> {
  return activity$.pipe(
    startWith(undefined),
    // Each frame restarts the silence count.
    switchMap(() =>
      concat(
        timer(options.interval, scheduler).pipe(map((): HeartbeatSignal => 'ping')),
        timer(options.timeout, scheduler).pipe(map((): HeartbeatSignal => 'dead')),
      ),
    ),
  );
}

/**
 * Run `watch()` while `state$` is in one of `states` (continuously: moving between two of them
 * does not restart it), and stop it when the state leaves them. The transport's watchdogs
 * (heartbeat while open, connect timeout from dial to welcome) are built on it.
 */
export function whileIn<S, T>(state$: Observable<S>, states: readonly S[], watch: () => Observable<T>): Observable<T> {
  return state$.pipe(
    map((s) => states.includes(s)),
    distinctUntilChanged(),
    switchMap((inside) => (inside ? watch() : EMPTY)),
  );
}
