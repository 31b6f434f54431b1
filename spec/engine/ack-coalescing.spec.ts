/**
 * Issue 14, point 5: one `ack` per applied batch spent a frame per batch (and counted against the
 * server's rate limit). Acks are coalesced over `ackDelay` (default 50 ms): the latest LSN is
 * enough. Stopping the engine sends the one still waiting.
 */
import { TestScheduler } from 'rxjs/testing';
import { harness, at, sc, serverChanges, welcome } from './fakes/harness.js';

const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));
const batch = (lsn: number) => serverChanges(lsn - 1, [sc(lsn, 'todos', `r${lsn}`, { n: lsn })]);

describe('downstream: coalesced acks', () => {
  it('five batches within ackDelay give ONE ack with the latest LSN; a later batch starts a new window', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, {
        state$: hot('o', { o: 'open' }),
        message$: hot('w a b c d e 100ms f', { w: welcome(0), a: batch(1), b: batch(2), c: batch(3), d: batch(4), e: batch(5), f: batch(6) }),
        config: { ackDelay: 50 },
      });
      at(ts, 0, () => h.engine.start());
      at(ts, 300, () => h.engine.stop());
      ts.flush();
      expect(h.store.getLsn()).toBe(6);
      expect(h.transport.ofType('ack').map((a) => [a.at, a.frame.lsn])).toEqual([[51, 5], [156, 6]]);
    });
  });

  it('stopping sends the ack still waiting', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w a', { w: welcome(0), a: batch(1) }), config: { ackDelay: 50 } });
      at(ts, 0, () => h.engine.start());
      at(ts, 10, () => h.engine.stop());
      ts.flush();
      expect(h.transport.ofType('ack').map((a) => [a.at, a.frame.lsn])).toEqual([[10, 1]]);
    });
  });
});
