/**
 * Random sources. The engine never calls `Math.random()` itself: jitter takes a
 * {@link RandomSource}, so specs and benchmarks can use a seeded one and get exact delays.
 */

/** A function returning a number in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

/**
 * mulberry32: a tiny, fast, seeded PRNG (32-bit state). Same seed, same sequence, on every
 * platform. Good enough for jitter and test data; not for anything secret.
 */
export function mulberry32(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
