/**
 * Issue 14, point 1: frames that wait are bounded in BYTES. While a batch waits for its retry
 * timer every later frame queues behind it (the step is serial); over `maxBacklogBytes` they are
 * dropped and asked for again from the local LSN once the queue moves, and a reconnect's
 * `welcome` is never dropped. Batches held behind a gap are bounded in bytes too.
 */
import { TestScheduler } from 'rxjs/testing';
import { ErrorCodes } from '../../lib/errors.js';
import { at, harness, page, sc, serverChanges, welcome } from './fakes/harness.js';

const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));
const big = (lsn: number) => serverChanges(lsn - 1, [sc(lsn, 'todos', `r${lsn}`, { text: 'x'.repeat(400) })]);

describe('downstream backlog bound (bytes)', () => {
  it('frames queued behind a retry over maxBacklogBytes are dropped, reported once, and requested again; the welcome behind them still runs', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      // b1 fails once (retry at 300 with seed 42); b2..b5 (~500 bytes each) arrive meanwhile, then a welcome.
      const h = harness(ts, {
        state$: hot('o', { o: 'open' }),
        message$: hot('w a b c d e f', { w: welcome(0), a: big(1), b: big(2), c: big(3), d: big(4), e: big(5), f: welcome(5) }),
        config: { maxBacklogBytes: 1200 },
        seed: 42,
      });
      h.store.failNextApplies(1);
      at(ts, 0, () => h.engine.start());
      at(ts, 1_000, () => h.engine.stop());
      ts.flush();
      // b2 and b3 fit in 1200 bytes, b4 and b5 were dropped (one overflow), then b2, b3 applied.
      expect(h.store.applyCalls.map((b) => b.lsn)).toEqual([1, 1, 2, 3]);
      expect(h.errors.map((e) => [e.at, e.error.code])).toEqual([[1, ErrorCodes.APPLY_FAILED], [301, ErrorCodes.GAP_OVERFLOW]]);
      // The overflow asked from where the client was, and the welcome (server at 5) catches up from there too.
      expect(h.transport.ofType('sync_request').map((s) => [s.at, s.frame.from_lsn])).toEqual([[301, 3], [301, 3]]);
      expect(h.engine.status()).toEqual(jasmine.objectContaining({ connection: 'catching_up', lsn: 3 }));
    });
  });

  it('batches held behind a gap over maxBacklogBytes are dropped and requested again', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const fill = page(0, 4, [sc(1, 'todos', 'x', { n: 1 }), sc(2, 'todos', 'x', { n: 2 }), sc(3, 'todos', 'x', { n: 3 }), sc(4, 'todos', 'x', { n: 4 })], true);
      const h = harness(ts, {
        state$: hot('o', { o: 'open' }),
        message$: hot('w a b c 5ms p', { w: welcome(0), a: big(2), b: big(3), c: big(4), p: fill }),
        config: { maxBacklogBytes: 1200 },
      });
      at(ts, 0, () => h.engine.start());
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(h.errors.map((e) => [e.at, e.error.code])).toEqual([[3, ErrorCodes.GAP_OVERFLOW]]);
      expect(h.transport.ofType('sync_request').map((s) => [s.at, s.frame.from_lsn])).toEqual([[1, 0], [3, 0]]);
      expect(h.store.getLsn()).toBe(4);
    });
  });
});
