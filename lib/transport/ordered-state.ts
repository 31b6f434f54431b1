/**
 * A replayed state value whose changes reach every subscriber in order, even when a subscriber
 * changes the state while a change is being announced (a plain BehaviorSubject would then give
 * later subscribers the newer value first and the older one last).
 */
import { BehaviorSubject, distinctUntilChanged, type Observable } from 'rxjs';

/** A state holder with in-order announcements. */
export class OrderedState<T> {
  /** The current value (already updated while announcements are pending). */
  value: T;
  /** Replays the current value, then every change, in order, without repeats. */
  readonly changes$: Observable<T>;
  private readonly subject: BehaviorSubject<T>;
  private readonly pending: T[] = [];

  constructor(initial: T) {
    this.value = initial;
    this.subject = new BehaviorSubject(initial);
    this.changes$ = this.subject.pipe(distinctUntilChanged());
  }

  /** Change the value; announced now, or right after the announcement in progress. */
  set(next: T): void {
    this.value = next;
    this.pending.push(next);
    if (this.pending.length > 1) return; // an outer set() is announcing: it will take this one
    while (this.pending.length > 0) {
      this.subject.next(this.pending[0]!);
      this.pending.shift();
    }
  }

  /** True while a change is being announced. */
  get announcing(): boolean {
    return this.pending.length > 0;
  }

  /** Complete the observable (after the announcement in progress, if any: call from outside it). */
  complete(): void {
    this.subject.complete();
  }
}
