/** Bounded waits for specs that run on real time (never a bare sleep). */
import { filter, firstValueFrom, timeout, type Observable } from 'rxjs';

/** The first value of `source$` that satisfies `predicate`, or a rejection naming `what` after `ms`. */
export function waitFor<T>(source$: Observable<T>, predicate: (v: T) => boolean, what: string, ms = 10_000): Promise<T> {
  return firstValueFrom(
    source$.pipe(
      filter(predicate),
      timeout({ first: ms, with: () => { throw new Error(`timed out after ${ms} ms waiting for ${what}`); } }),
    ),
  );
}

/** Poll an async check until it returns true (for state with no observable), bounded. */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, ms = 10_000, every = 20): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
