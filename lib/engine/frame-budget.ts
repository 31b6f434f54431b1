/**
 * Cut the changes of one turn into `client_change` frames of at most `maxBytes` (UTF-8 of their
 * JSON): a server refuses a frame over its limit whole (the reference server closes the socket,
 * 1009), and the same frame sent again after the reconnect would be refused again, forever. A
 * frame always carries at least one change; order is kept.
 */
import type { ClientChange } from '../protocol/index.js';

/** UTF-8 length of a string (a lone surrogate counts as the 3 bytes of U+FFFD). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: 2 units, 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}

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
