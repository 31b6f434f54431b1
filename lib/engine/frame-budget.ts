/**
 * Cut the changes of one turn into `client_change` frames of at most `maxBytes` (UTF-8 of their
 * JSON): a server refuses a frame over its limit whole (the reference server closes the socket,
 * 1009), and the same frame sent again after the reconnect would be refused again, forever. A
 * frame always carries at least one change; order is kept.
 */
import { utf8Length, type ClientChange } from '../protocol/index.js';

/** The changes in frames of at most `maxBytes` each (a change over it alone in its frame). */
export function framesByBytes(changes: readonly ClientChange[], maxBytes: number): ClientChange[][] {
  if (changes.length <= 1 || !Number.isFinite(maxBytes)) return [changes.slice()];
  const frames: ClientChange[][] = [];
  let frame: ClientChange[] = [];
  let bytes = 0;
  for (const c of changes) {
    const size = utf8Length(JSON.stringify(c)) + 1;
    if (frame.length > 0 && bytes + size > maxBytes) {
      frames.push(frame);
      frame = [];
      bytes = 0;
    }
    frame.push(c);
    bytes += size;
  }
  frames.push(frame);
  return frames;
}
