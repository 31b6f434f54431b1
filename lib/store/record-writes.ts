/**
 * Recording several writes of the app at once (the writes that reached the worker in one turn):
 * one transaction for all of them, so that 10,000 `insert()` calls cost about what one
 * `write()` of 10,000 changes costs. Each write is still its own unit: a write already recorded
 * (re-sent to a new leader tab) is answered from the store, and if the shared transaction is
 * refused (one write breaks the schema or a constraint), each write is recorded on its own, so
 * that exactly the bad one fails and nothing of it is written.
 */
import type { LocalChange } from '../engine/ports.js';
import type { ChangeRequest } from '../protocol/index.js';

/** One write's outcome: its rows (`again`: recorded before, a re-sent write), or why it was refused. */
export type WriteOutcome = { rows: LocalChange[]; again: boolean } | { error: unknown };

/** The part of the store this needs. */
export interface WriteRecorder {
  recordedAlready(changes: readonly ChangeRequest[]): LocalChange[] | null;
  recordLocalChanges(changes: readonly ChangeRequest[], now: number): LocalChange[];
}

/** Record `writes` in order; the outcome of each, in the same order. */
export function recordWrites(store: WriteRecorder, writes: readonly (readonly ChangeRequest[])[], now: number): WriteOutcome[] {
  const out: (WriteOutcome | undefined)[] = writes.map((w) => {
    const again = store.recordedAlready(w);
    return again ? { rows: again, again: true } : undefined;
  });
  const fresh = writes.map((_, i) => i).filter((i) => out[i] === undefined);
  if (fresh.length > 1) {
    try {
      const rows = store.recordLocalChanges(fresh.flatMap((i) => writes[i]!), now);
      let at = 0;
      for (const i of fresh) {
        out[i] = { rows: rows.slice(at, at + writes[i]!.length), again: false };
        at += writes[i]!.length;
      }
      return out as WriteOutcome[];
    } catch {
      // One of them is refused: record each on its own (below), so only that one fails.
    }
  }
  for (const i of fresh) {
    try {
      // Asked again: the same write may be in this batch twice (a re-send), then the second is `again`.
      const again = store.recordedAlready(writes[i]!);
      out[i] = again ? { rows: again, again: true } : { rows: store.recordLocalChanges(writes[i]!, now), again: false };
    } catch (error) {
      out[i] = { error };
    }
  }
  return out as WriteOutcome[];
}
