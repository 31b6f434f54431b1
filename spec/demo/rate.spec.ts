/**
 * The demo's changes-per-second counter (demo/rate.ts), in virtual time: LSN steps are summed per
 * window; the step that loads the stored LSN (from `disconnected`) is not traffic.
 */
import { TestScheduler } from 'rxjs/testing';
import type { SyncStatus } from '../../lib/index.js';
import { INITIAL_STATUS } from '../../lib/index.js';
import { changesPerWindow, rateHistory } from '../../demo/rate.js';

const st = (connection: SyncStatus['connection'], lsn: number): SyncStatus => ({ ...INITIAL_STATUS, connection, lsn });
const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));

describe('demo rate counter', () => {
  it('sums LSN steps per window, ignoring the stored LSN loaded while disconnected', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const status$ = cold('a b c d 5ms e 20ms f g h 5ms |', {
        a: st('disconnected', 0),
        b: st('connecting', 500), // the stored LSN loaded: not traffic
        c: st('synced', 503),
        d: st('synced', 510),
        e: st('synced', 511),
        f: st('disconnected', 511),
        g: st('connecting', 511),
        h: st('catching_up', 530), // catch-up after being offline is traffic
      });
      // 10 ms windows: [0,10) +3 +7 +1 = 11; [10,20) and [20,30) nothing; [30,38) +19, then complete.
      expectObservable(changesPerWindow(status$, 10)).toBe('10ms a 9ms b 9ms c 7ms (d|)', { a: 11, b: 0, c: 0, d: 19 });
    });
  });

  it('never counts a step backwards (a fresh server log) as negative traffic', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const status$ = cold('a b c', { a: st('synced', 40), b: st('synced', 3), c: st('synced', 5) });
      expectObservable(changesPerWindow(status$, 10), '^ 15ms !').toBe('10ms a', { a: 2 });
    });
  });

  it('keeps the last N windows, oldest first, zero-filled', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(rateHistory(cold('a b c|', { a: 1, b: 2, c: 3 }), 2)).toBe('a b c|', { a: [0, 1], b: [1, 2], c: [2, 3] });
    });
  });
});
