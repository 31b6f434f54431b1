/**
 * Writes that arrive in the same turn (the channel delivers the messages posted in one turn of
 * the main thread together: client/channel.ts) are recorded together, when the turn ends (a
 * microtask): one transaction, each write still checked and answered on its own.
 */
import type { ChangeRequest } from '../protocol/index.js';
import type { WriteOutcome } from '../store/record-writes.js';

export class WriteBatcher {
  private queued: { changes: readonly ChangeRequest[]; resolve: (o: WriteOutcome) => void }[] = [];

  /** @param record records writes in order and says the outcome of each (store/record-writes.ts) */
  constructor(private readonly record: (writes: readonly (readonly ChangeRequest[])[]) => WriteOutcome[]) {}

  /** The outcome of this write, recorded with every write queued in this turn. Outcomes settle in queue order. */
  add(changes: readonly ChangeRequest[]): Promise<WriteOutcome> {
    return new Promise((resolve) => {
      if (this.queued.push({ changes, resolve }) === 1) queueMicrotask(() => this.flush());
    });
  }

  private flush(): void {
    const queued = this.queued;
    this.queued = [];
    let outcomes: WriteOutcome[];
    try {
      outcomes = this.record(queued.map((q) => q.changes));
    } catch (error) {
      outcomes = queued.map(() => ({ error }));
    }
    queued.forEach((q, i) => q.resolve(outcomes[i]!));
  }
}
