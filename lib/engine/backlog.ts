/**
 * A byte bound on what waits in front of a serial step (`mergeScan(..., 1)` buffers every input
 * that arrives while a step is still running, e.g. a batch waiting for its retry timer). While
 * nothing runs, inputs pass untouched and unmeasured (the hot path). While a step runs, each
 * input is measured; one that would take the waiting bytes over `maxBytes` is dropped, and ONE
 * `overflow` input is queued instead, so the step can ask again for what was dropped.
 * Inputs measured at 0 bytes (a `welcome`, a timer) are never dropped.
 */
import { finalize, mergeMap, type Observable, type OperatorFunction } from 'rxjs';

/** The two halves of the gate: `admit` in front of the serial step, `running` around each step. */
export interface BacklogGate<T> {
  /** Operator in front of the serial step: measures, counts and drops inputs. */
  admit(bytes: (input: T) => number): OperatorFunction<T, T>;
  /** Wrap the step of `input`: the waiting bytes shrink as it starts, it counts as running until it ends. */
  running<R>(input: T, step$: Observable<R>): Observable<R>;
}

/** Create a gate for one subscription of the pipeline. */
export function backlogGate<T>(maxBytes: number, overflow: T): BacklogGate<T> {
  let active = 0;
  let waitingBytes = 0;
  const sizes: number[] = [];
  let overflowQueued = false;
  return {
    admit: (bytes) =>
      mergeMap((input: T): T[] => {
        if (active === 0 && sizes.length === 0) {
          sizes.push(0);
          return [input];
        }
        const n = bytes(input);
        if (n > 0 && waitingBytes + n > maxBytes) {
          if (overflowQueued) return [];
          overflowQueued = true;
          sizes.push(0);
          return [overflow];
        }
        waitingBytes += n;
        sizes.push(n);
        return [input];
      }),
    running: (input, step$) => {
      waitingBytes -= sizes.shift() ?? 0;
      // Once the overflow input runs, a later drop needs a new one.
      if (input === overflow) overflowQueued = false;
      active++;
      return step$.pipe(finalize(() => active--));
    },
  };
}
