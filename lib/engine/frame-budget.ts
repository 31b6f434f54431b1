/**
 * Cut the changes of one turn into `client_change` frames of at most `maxBytes` (UTF-8 of their
 * JSON): a server refuses a frame over its limit whole (the reference server closes the socket,
 * 1009), and the same frame sent again after the reconnect would be refused again, forever. A
 * frame always carries at least one change; order is kept.
 */
import { chunkBySize, utf8Length, type ClientChange } from '../protocol/index.js';

/** The changes in frames of at most `maxBytes` each (a change over it alone in its frame). */
export function framesByBytes(changes: readonly ClientChange[], maxBytes: number): ClientChange[][] {
  if (changes.length <= 1 || !Number.isFinite(maxBytes)) return [changes.slice()];
  const texts = changes.map((c) => JSON.stringify(c));
  // Fast path (most turns): a UTF-16 code unit is at most 3 UTF-8 bytes, so no byte count is needed.
  let chars = 0;
  for (const t of texts) chars += t.length + 1;
  if (chars * 3 <= maxBytes) return [changes.slice()];
  return chunkBySize(changes.map((_, i) => i), (i) => utf8Length(texts[i]!) + 1, maxBytes).map((run) => run.map((i) => changes[i]!));
}
