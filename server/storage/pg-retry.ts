/**
 * Why an attempt at a frame group on PostgreSQL (pg-apply.ts) is run again, and how. A refused
 * statement aborts a PostgreSQL transaction, so an attempt that meets one is rolled back and the
 * frames run again in a slower {@link Mode} that can answer it; what is not a refusal (the
 * database failed) is thrown as it is.
 */
import { isRefusal } from './pg-entities.js';
import type { Pipeline } from './pg-pipeline.js';

/**
 * How an attempt runs. `optimistic`: no dedupe lookup (a frame's changes are new, unless a client
 * re-sends after a reconnect): the log's unique (client_id, change_id) index refuses a change
 * sent before, which aborts the attempt, and it runs again `checked`: with the lookup, which
 * answers such a change `duplicate` with its first LSN. `savepoints`: the lookup, and a savepoint
 * per run and per change of a refused run, so exactly the refused change is rejected.
 */
export type Mode = 'optimistic' | 'checked' | 'savepoints';

/** A change was refused without savepoints: run the frame again with them. */
export class NeedsSavepoints extends Error {}
/** An optimistic attempt met a change_id the client had sent before: run again with the lookup. */
export class NeedsLookup extends Error {}

/** A run's statement refused: a constraint, a bad value, or (keys that name one row twice) a cardinality error. */
export function runRefused(e: unknown): boolean {
  return isRefusal(e) || (e as { code?: unknown }).code === '21000';
}

/** The log's unique (client_id, change_id) index refused a row: that change_id is logged already. */
function loggedBefore(e: unknown): boolean {
  const err = e as { code?: unknown; table?: unknown };
  return err.code === '23505' && err.table === 'rsw_change_log';
}

/**
 * Settle the writes sent so far (pg-pipeline.ts), turning the first failure into what to do next:
 * optimistic, a change_id logged before means {@link NeedsLookup}; without savepoints, any other
 * refusal means {@link NeedsSavepoints}; else the failure itself.
 */
export async function settle(pipe: Pipeline, mode: Mode): Promise<void> {
  try {
    await pipe.settle();
  } catch (e) {
    if (mode === 'optimistic' && loggedBefore(e)) throw new NeedsLookup();
    throw mode !== 'savepoints' && runRefused(e) ? new NeedsSavepoints() : e;
  }
}
