/**
 * Serialising server frames within a byte budget: a batch of changes or acks bigger than the
 * budget goes out as several frames, each holding at least one item, so that no frame the server
 * sends can reach the client's frame limit (see checkLimits).
 */
import { chunkBySize, type ServerChange } from '../lib/protocol/index.js';

/** Split serialised items into runs of at most `maxBytes` UTF-8 bytes (each run has at least one item). */
export function chunkByBytes(items: readonly string[], maxBytes: number): string[][] {
  // Fast path: a UTF-16 code unit is at most 3 UTF-8 bytes, so short batches need no byte count.
  let chars = 0;
  for (const item of items) chars += item.length + 1;
  if (chars * 3 <= maxBytes) return items.length > 0 ? [items as string[]] : [];
  return chunkBySize(items, (item) => Buffer.byteLength(item) + 1, maxBytes);
}

/** `prefix + items.join(',') + suffix` per run of {@link chunkByBytes}. */
export function chunkFrames(prefix: string, items: readonly string[], suffix: string, maxBytes: number): string[] {
  return chunkByBytes(items, maxBytes).map((run) => `${prefix}${run.join(',')}${suffix}`);
}

/**
 * The JSON text of `items` as one array, when it fits one run of {@link chunkByBytes} (its text
 * is the items, their commas and two brackets: the bytes chunkByBytes counts, plus one); else null.
 * One JSON.stringify of the whole array is cheaper than one per item and a join.
 */
function oneRun(items: readonly unknown[], maxBytes: number): string | null {
  const all = JSON.stringify(items);
  return all.length * 3 <= maxBytes || Buffer.byteLength(all) - 1 <= maxBytes ? all : null;
}

/** `prefix + items as JSON, comma-separated + suffix` frames, each within `maxBytes` (as {@link chunkFrames}). */
export function jsonFrames(prefix: string, items: readonly unknown[], suffix: string, maxBytes: number): string[] {
  if (items.length === 0) return [];
  const all = oneRun(items, maxBytes);
  if (all !== null) return [`${prefix}${all.slice(1, -1)}${suffix}`];
  return chunkFrames(prefix, items.map((i) => JSON.stringify(i)), suffix, maxBytes);
}

/** `server_changes` frames for changes committed after `prevLsn`, each within the budget, LSNs chained. */
export function serverChangesFrames(prevLsn: number, committed: readonly ServerChange[], maxBytes: number): string[] {
  if (committed.length === 0) return [];
  const all = oneRun(committed, maxBytes);
  if (all !== null) return [`{"type":"server_changes","prev_lsn":${prevLsn},"lsn":${committed[committed.length - 1]!.lsn},"changes":${all}}`];
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
