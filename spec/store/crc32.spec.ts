import fc from 'fast-check';
import { crc32 } from '../../lib/store/journal.js';

/** The textbook bytewise CRC-32 (IEEE): the reference the sliced one must equal. */
const TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function reference(b: Uint8Array, from: number, to: number): number {
  let c = 0xffffffff;
  for (let i = from; i < to; i++) c = TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

describe('journal: CRC-32 of a frame', () => {
  it('is the IEEE check value of "123456789"', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('equals the bytewise CRC on any bytes and range (sliced by 8, with any tail)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const from = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const to = from + (b % (bytes.length - from + 1));
        expect(crc32(bytes, from, to)).toBe(reference(bytes, from, to));
      }),
      { numRuns: 3000, seed: 32 },
    );
  });
});
