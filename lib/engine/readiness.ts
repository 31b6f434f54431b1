/**
 * `ready$`: true while the connection is synced (handshake and catch-up done), so upstream may
 * send. Derived with the status reducer itself from transport states and `caught_up` events,
 * so "synced" means the same thing in status$ and in the pipelines.
 */
import { distinctUntilChanged, filter, map, Observable, scan } from 'rxjs';
import type { EngineEvent } from './events.js';
import { initialStatus, reduceStatus } from './status-reducer.js';

/** True while synced. `events$` needs only the `transport` and `caught_up` events. */
export function readiness(events$: Observable<EngineEvent>): Observable<boolean> {
  return events$.pipe(
    filter((e) => e.type === 'transport' || e.type === 'caught_up'),
    scan((s, e) => reduceStatus(s, e, 0), initialStatus(0, 0, 0)),
    map((s) => s.connection === 'synced'),
    distinctUntilChanged(),
  );
}
