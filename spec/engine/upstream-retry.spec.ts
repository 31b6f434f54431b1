import { TestScheduler } from 'rxjs/testing';
import { ErrorCodes } from '../../lib/errors.js';
import type { ServerFrame } from '../../lib/protocol/index.js';
import { applied, at, harness, insert, update, welcome } from './fakes/harness.js';

const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));
const codes = (h: { errors: Array<{ at: number; error: { code: string; attempt?: number } }> }) => h.errors.map((e) => [e.at, e.error.code, e.error.attempt]);

describe('upstream: ack timeout, backoff and attempts', () => {
  it('retries with exact full-jitter delays for a seeded random source, 3 counted attempts, then failed', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      // mulberry32(42): 0.6011..., 0.4482... -> delays floor(0.6011 * 500) = 300, floor(0.4482 * 1000) = 448.
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w', { w: welcome(0) }), seed: 42 });
      at(ts, 0, () => h.engine.start());
      at(ts, 0, () => h.record(insert('todos', 'a', { title: 'x' })));
      at(ts, 40_000, () => h.engine.stop());
      ts.flush();
      expect(h.transport.changeFrames()).toEqual([
        [0, ['client-1-1']],
        [10_300, ['client-1-1']], // timeout at 10 000 + 300
        [20_748, ['client-1-1']], // timeout at 20 300 + 448
      ]);
      expect(codes(h)).toEqual([
        [10_000, ErrorCodes.ACK_TIMEOUT, 1],
        [20_300, ErrorCodes.ACK_TIMEOUT, 2],
        [30_748, ErrorCodes.ACK_TIMEOUT, 3],
        [30_748, ErrorCodes.ATTEMPTS_EXHAUSTED, 3],
      ]);
      const change = h.store.change('client-1-1')!;
      expect(change.status).toBe('failed');
      expect(change.attempts).toBe(3);
      expect(h.engine.status()).toEqual(jasmine.objectContaining({ pending: 0, failed: 1, inFlight: 0 }));
    });
  });

  it('honours configured backoff and maxAttempts', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const config = { ackTimeout: 100, maxAttempts: 2, backoff: { initialDelay: 1000, maxDelay: 1000, multiplier: 3 } };
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w', { w: welcome(0) }), seed: 42, config });
      at(ts, 0, () => h.engine.start());
      at(ts, 0, () => h.record(insert('todos', 'a', {})));
      at(ts, 5_000, () => h.engine.stop());
      ts.flush();
      // one retry after floor(0.6011 * 1000) = 601 ms, then failed at the second timeout.
      expect(h.transport.changeFrames()).toEqual([[0, ['client-1-1']], [701, ['client-1-1']]]);
      expect(h.store.change('client-1-1')!.status).toBe('failed');
      expect(h.store.change('client-1-1')!.attempts).toBe(2);
    });
  });

  it('does not count a dropped connection: unacked changes wait and are re-sent in order after the next handshake', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, {
        // open at 0, dropped at 5 000 (reconnecting), handshaking at 20 000, open at 20 001
        state$: hot('o 4999ms c 14999ms h o', { o: 'open', c: 'connecting', h: 'handshaking' }),
        message$: hot('w 20000ms w', { w: welcome(0) }),
      });
      at(ts, 0, () => h.engine.start());
      at(ts, 1, () => h.record(insert('t', 'A', {}), update('t', 'A', { v: 2 }), insert('t', 'B', {})));
      // Recorded while offline: waits, goes after the older ones.
      at(ts, 6_000, () => h.record(insert('t', 'C', {})));
      at(ts, 20_010, () => h.transport.messages.next(applied(['client-1-1', 1], ['client-1-3', 2], ['client-1-4', 3])));
      at(ts, 20_020, () => h.transport.messages.next(applied(['client-1-2', 4])));
      at(ts, 60_000, () => h.engine.stop());
      ts.flush();
      expect(h.transport.changeFrames()).toEqual([
        [1, ['client-1-1', 'client-1-3']],
        // nothing at 10 001: the ack timeout died with the connection
        [20_001, ['client-1-1', 'client-1-3', 'client-1-4']],
        [20_010, ['client-1-2']],
      ]);
      expect(h.store.all().map((c) => c.attempts)).toEqual([0, 0, 0, 0]);
      expect(h.errors).toEqual([]);
      expect(h.store.counts()).toEqual({ pending: 0, failed: 0 });
    });
  });

  it('retries only the errored change (retryable server error), the others are acked once', () => {
    const ts = newScheduler();
    const transient: ServerFrame = { type: 'error', code: 'busy', message: 'try later', retryable: true, change_ids: ['client-1-1'] };
    ts.run(({ hot }) => {
      const h = harness(ts, {
        state$: hot('o', { o: 'open' }),
        message$: hot('w 9ms e b', { w: welcome(0), e: transient, b: applied(['client-1-2', 1]) }),
        seed: 42,
      });
      at(ts, 0, () => h.engine.start());
      at(ts, 0, () => h.record(insert('t', 'A', {}), insert('t', 'B', {})));
      at(ts, 400, () => h.transport.messages.next(applied(['client-1-1', 2])));
      at(ts, 30_000, () => h.engine.stop());
      ts.flush();
      // A re-sent alone after 300 ms (seeded jitter); B never re-sent.
      expect(h.transport.changeFrames()).toEqual([[0, ['client-1-1', 'client-1-2']], [310, ['client-1-1']]]);
      expect(codes(h)).toEqual([[10, ErrorCodes.SERVER_TRANSIENT, 1]]);
      expect(h.store.change('client-1-1')!).toEqual(jasmine.objectContaining({ status: 'synced', attempts: 1, lsn: 2 }));
      expect(h.store.change('client-1-2')!).toEqual(jasmine.objectContaining({ status: 'synced', attempts: 0, lsn: 1 }));
    });
  });

  it('fails a change at once on a non-retryable server error about it, and moves on', () => {
    const ts = newScheduler();
    const fatal: ServerFrame = { type: 'error', code: 'limit_exceeded', message: 'too big', retryable: false, change_ids: ['client-1-1'] };
    ts.run(({ hot }) => {
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w 4ms e', { w: welcome(0), e: fatal }) });
      at(ts, 0, () => h.engine.start());
      at(ts, 0, () => h.record(insert('t', 'A', {}), update('t', 'A', { v: 1 })));
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(h.transport.changeFrames()).toEqual([[0, ['client-1-1']], [5, ['client-1-2']]]);
      expect(codes(h)).toEqual([[5, ErrorCodes.LIMIT, undefined]]);
      expect(h.store.change('client-1-1')!.status).toBe('failed');
    });
  });
});
