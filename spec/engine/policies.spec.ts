import { TestScheduler } from 'rxjs/testing';
import { backoffDelay } from '../../lib/engine/backoff.js';
import { batchSameTick } from '../../lib/engine/batch-same-tick.js';
import { DEFAULT_ENGINE_CONFIG, resolveEngineConfig } from '../../lib/engine/config.js';
import { mulberry32 } from '../../lib/engine/random.js';

describe('engine policies', () => {
  it('mulberry32 is deterministic per seed and in [0, 1)', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBeTrue();
    expect(mulberry32(8)()).not.toBe(mulberry32(7)());
    expect(mulberry32(42)()).toBeCloseTo(0.6011037519201636, 15);
  });

  it('backoffDelay: full jitter under an exponential ceiling capped at maxDelay', () => {
    const policy = DEFAULT_ENGINE_CONFIG.backoff;
    const one = () => 0.999999;
    expect([1, 2, 3, 4, 7, 20].map((n) => backoffDelay(n, policy, one))).toEqual([499, 999, 1999, 3999, 29_999, 29_999]);
    expect(backoffDelay(5, policy, () => 0)).toBe(0);
    expect(backoffDelay(2, policy, () => 0.5)).toBe(500);
  });

  it('resolveEngineConfig fills defaults (DESIGN section 6) and refuses nonsense', () => {
    expect(resolveEngineConfig()).toEqual(DEFAULT_ENGINE_CONFIG);
    expect(DEFAULT_ENGINE_CONFIG).toEqual(jasmine.objectContaining({ maxAttempts: 3, ackTimeout: 10_000, batchSize: 500 }));
    expect(DEFAULT_ENGINE_CONFIG.backoff).toEqual({ initialDelay: 500, maxDelay: 30_000, multiplier: 2 });
    expect(resolveEngineConfig({ backoff: { maxDelay: 5 }, batchSize: undefined }).backoff).toEqual({ initialDelay: 500, maxDelay: 5, multiplier: 2 });
    expect(() => resolveEngineConfig({ maxAttempts: 0 })).toThrowError(RangeError, /maxAttempts/);
    expect(() => resolveEngineConfig({ ackTimeout: -1 })).toThrowError(RangeError, /ackTimeout/);
  });

  it('batchSameTick groups one turn, splits at maxSize, never emits empty batches', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ cold, expectObservable }) => {
      const src = cold('(abc) 5ms d 10ms |');
      expectObservable(src.pipe(batchSameTick(ts, 2))).toBe('(xy) 6ms z 10ms |', { x: ['a', 'b'], y: ['c'], z: ['d'] });
    });
  });
});
