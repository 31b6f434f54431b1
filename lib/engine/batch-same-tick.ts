/**
 * An operator that groups the values arriving in the same turn (before the scheduler runs a
 * 0-delay action) into one array, flushing early when `maxSize` is reached. This is how changes
 * that are ready together go out in one `client_change` frame, and how one tick's engine events
 * give one status snapshot. Unlike `bufferTime(0)` it never emits empty arrays and schedules
 * nothing while idle, so it is safe in virtual time.
 */
import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

/** Group same-turn values into arrays of at most `maxSize` (default unbounded). */
export function batchSameTick<T>(scheduler: SchedulerLike, maxSize = Infinity): OperatorFunction<T, T[]> {
  return (source) =>
    new Observable<T[]>((subscriber) => {
      let buffer: T[] = [];
      let pending: Subscription | null = null;
      const flush = (): void => {
        pending?.unsubscribe();
        pending = null;
        if (buffer.length === 0) return;
        const out = buffer;
        buffer = [];
        subscriber.next(out);
      };
      const sub = source.subscribe({
        next: (value) => {
          buffer.push(value);
          // Full: out now. First of a batch: flush once the current turn is over.
          if (buffer.length >= maxSize) flush();
          else if (pending === null) pending = scheduler.schedule(flush, 0);
        },
        error: (err) => {
          flush();
          subscriber.error(err);
        },
        complete: () => {
          flush();
          subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        pending?.unsubscribe();
      };
    });
}
