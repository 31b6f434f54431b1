/**
 * Serialising server frames within a byte budget: a batch of changes or acks bigger than the
 * budget goes out as several frames, each holding at least one item, so that no frame the server
 * sends can reach the client's frame limit (see checkLimits).
 */
import type { ServerChange } from '../lib/protocol/index.js';

/** Split serialised items into runs of at most `maxBytes` UTF-8 bytes (each run has at least one item). */
export function chunkByBytes(items: readonly string[], maxBytes: number): string[][] {
  // Fast path: a UTF-16 code unit is at most 3 UTF-8 bytes, so short batches need no byte count.
  let chars = 0;
  for (const item of items) chars += item.length + 1;
  if (chars * 3 <= maxBytes) return items.length > 0 ? [items as string[]] : [];
  const runs: string[][] = [];
  let run: string[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = Buffer.byteLength(item) + 1;
    if (run.length > 0 && bytes + size > maxBytes) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(item);
    bytes += size;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** `prefix + items.join(',') + suffix` per run of {@link chunkByBytes}. */
export function chunkFrames(prefix: string, items: readonly string[], suffix: string, maxBytes: number): string[] {
  return chunkByBytes(items, maxBytes).map((run) => `${prefix}${run.join(',')}${suffix}`);
}

/** `server_changes` frames for changes committed after `prevLsn`, each within the budget, LSNs chained. */
export function serverChangesFrames(prevLsn: number, committed: readonly ServerChange[], maxBytes: number): string[] {
  const json = committed.map((c) => JSON.stringify(c));
  const frames: string[] = [];
  let prev = prevLsn;
  let i = 0;
  for (const run of chunkByBytes(json, maxBytes)) {
    const last = committed[i + run.length - 1]!.lsn;
    frames.push(`{"type":"server_changes","prev_lsn":${prev},"lsn":${last},"changes":[${run.join(',')}]}`);
    prev = last;
    i += run.length;
  }
  return frames;
}
