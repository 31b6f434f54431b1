/**
 * The rule for a failed journal write (issue 14): the change is KEPT. Its transaction is
 * committed in memory and the group committer writes it with the next flush; the app's write
 * is answered with the persistence error (saying so). Recorded changes reach the engine only
 * once durable and strictly IN RECORDING ORDER: a batch waits for every batch recorded before
 * it, so a later change to the same row can never be sent before an earlier one whose write
 * failed. A batch whose write failed is retried with backoff (and at once when something new is
 * recorded, whose flush writes it too).
 */
import type { SchedulerLike } from 'rxjs';
import type { LocalChange } from '../engine/ports.js';

/** What the announcer needs from the store. */
export interface DurableSource {
  /** Resolves once everything committed so far is persisted; rejects if the write failed. */
  whenDurable(): Promise<void>;
}

/** Retry delays of a failed write: doubling from `first` up to `max` (ms). */
export interface AnnounceRetry {
  first: number;
  max: number;
}

interface Entry {
  rows: readonly LocalChange[];
  durable: Promise<void>;
  to: (rows: readonly LocalChange[]) => void;
}

/** Announces recorded batches in order, each once it is durable. */
export class DurableAnnouncer {
  private readonly queue: Entry[] = [];
  private draining = false;
  private wake: (() => void) | null = null;
  private stopped = false;

  constructor(
    private readonly store: DurableSource,
    private readonly scheduler: SchedulerLike,
    private readonly retry: AnnounceRetry = { first: 100, max: 30_000 },
  ) {}

  /**
   * A batch just committed (call right after the store transaction): given `to` once durable,
   * after every batch added before it. Returns its own durability (for the app's answer).
   */
  add(rows: readonly LocalChange[], to: (rows: readonly LocalChange[]) => void): Promise<void> {
    const durable = this.store.whenDurable();
    // Handled here; the caller awaits the same promise for its answer.
    durable.catch(() => undefined);
    this.queue.push({ rows, durable, to });
    this.wake?.();
    void this.drain();
    return durable;
  }

  /** Batches recorded but not announced yet. */
  waiting(): number {
    return this.queue.length;
  }

  /** Stop announcing (the host closes). */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      let delay = this.retry.first;
      while (this.queue.length > 0 && !this.stopped) {
        const head = this.queue[0]!;
        try {
          await head.durable;
        } catch {
          // Kept: wait (or a new recording), then ask again; the committer writes it with the next flush.
          await this.pause(delay);
          delay = Math.min(this.retry.max, delay * 2);
          head.durable = this.store.whenDurable();
          head.durable.catch(() => undefined);
          continue;
        }
        this.queue.shift();
        delay = this.retry.first;
        if (!this.stopped) head.to(head.rows);
      }
    } finally {
      this.draining = false;
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.scheduler.schedule(() => done(), ms);
      const done = () => {
        timer.unsubscribe();
        this.wake = null;
        resolve();
      };
      this.wake = done;
    });
  }
}
