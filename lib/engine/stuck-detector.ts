/**
 * Detects a queue head that does not move. Every `checkInterval` ms it looks at the oldest
 * pending change; if the same change has been the head for `threshold` ms or more, the queue is
 * stuck. It reports only changes of verdict (stuck / moving again), so status and errors$ say it
 * once. Run it only while synced: offline, a still head is expected (status says disconnected).
 */
import { distinctUntilChanged, interval, mergeMap, Observable, scan, skip, startWith, type SchedulerLike } from 'rxjs';
import { ErrorCodes, SyncError } from '../errors.js';
import type { EngineEvent } from './events.js';

/** What the detector remembers between looks. */
export interface StuckState {
  head: string | null;
  since: number;
  stuck: boolean;
}

/** Pure step: the state after looking at `head` at time `now`. */
export function nextStuckState(state: StuckState, head: string | null, now: number, threshold: number): StuckState {
  if (head !== state.head) return { head, since: now, stuck: false };
  return { ...state, stuck: head !== null && now - state.since >= threshold };
}

/**
 * Watch the queue head (`probe` returns the change_id of the oldest pending change, or null).
 * Emits a `stuck` event (and an `error` QUEUE_STUCK when it becomes stuck) on every change of verdict.
 */
export function detectStuck(probe: () => string | null, opts: { threshold: number; checkInterval: number; scheduler: SchedulerLike }): Observable<EngineEvent> {
  const start: StuckState = { head: probe(), since: opts.scheduler.now(), stuck: false };
  return interval(opts.checkInterval, opts.scheduler).pipe(
    scan((s) => nextStuckState(s, probe(), opts.scheduler.now(), opts.threshold), start),
    // Seeded with the start (not stuck), so only a change of verdict goes out.
    startWith(start),
    distinctUntilChanged((a, b) => a.stuck === b.stuck),
    skip(1),
    mergeMap((s): EngineEvent[] => {
      if (!s.stuck) return [{ type: 'stuck', stuck: false }];
      const ms = opts.scheduler.now() - s.since;
      const error = new SyncError(ErrorCodes.QUEUE_STUCK, `queue head ${s.head} has not moved for ${ms} ms`, { change_id: s.head ?? undefined });
      return [{ type: 'stuck', stuck: true, change_id: s.head ?? undefined }, { type: 'error', error }];
    }),
  );
}
