/**
 * The one byte-budget splitter of the project: items into runs whose sizes add up to at most
 * `maxBytes`, in order, each run with at least one item (an item over the budget is a run alone).
 * The server cuts its outgoing frames with it (server/frames.ts), the client its `client_change`
 * frames (lib/engine/frame-budget.ts).
 */

/** Split `items` into runs of at most `maxBytes` by `size` (each run has at least one item). */
export function chunkBySize<T>(items: readonly T[], size: (item: T) => number, maxBytes: number): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = size(item);
    if (run.length > 0 && bytes + n > maxBytes) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(item);
    bytes += n;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}
