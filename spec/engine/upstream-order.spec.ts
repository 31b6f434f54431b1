import { TestScheduler } from 'rxjs/testing';
import { applied, at, harness, insert, update, welcome } from './fakes/harness.js';

const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));

describe('upstream: per-entity order under concurrency', () => {
  it('sends A1 and B1 together at once, and A2 only after A1 is acked', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, {
        state$: hot('o', { o: 'open' }),
        // B1 acked first (t=5), A1 at t=10, A2 at t=20.
        message$: hot('w 4ms b 4ms a 9ms c', {
          w: welcome(0),
          b: applied(['client-1-3', 2]),
          a: applied(['client-1-1', 1]),
          c: applied(['client-1-2', 3]),
        }),
      });
      at(ts, 0, () => h.engine.start());
      at(ts, 1, () => h.record(insert('todos', 'A', { title: 'a1' }), update('todos', 'A', { title: 'a2' }), insert('todos', 'B', { title: 'b1' })));
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      // A2 (client-1-2) waits for A1's ack at t=10, although B1 was acked earlier.
      expect(h.transport.changeFrames()).toEqual([
        [1, ['client-1-1', 'client-1-3']],
        [10, ['client-1-2']],
      ]);
      expect(h.store.counts()).toEqual({ pending: 0, failed: 0 });
      expect(h.store.change('client-1-2')!.lsn).toBe(3);
      expect(h.errors).toEqual([]);
      let metrics: unknown = null;
      h.engine.metrics$.subscribe((m) => (metrics = m));
      expect(metrics).toEqual(jasmine.objectContaining({ changesRecorded: 3, changesSent: 3, framesSent: 2, changesAcked: 3, changesFailed: 0, errors: 0 }));
      const last = h.statuses[h.statuses.length - 1]!.status;
      expect(last).toEqual(jasmine.objectContaining({ connection: 'synced', pending: 0, inFlight: 0 }));
    });
  });

  it('interleaves many rows: each row strictly in order, rows in parallel, same-turn changes in one frame', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w', { w: welcome(0) }), config: { batchSize: 2 } });
      at(ts, 0, () => h.engine.start());
      // A1 B1 A2 C1 B2 recorded in one turn: heads A1 B1 C1 go out (batchSize 2 -> two frames).
      at(ts, 1, () => h.record(insert('t', 'A', {}), insert('t', 'B', {}), update('t', 'A', { v: 2 }), insert('t', 'C', {}), update('t', 'B', { v: 2 })));
      at(ts, 3, () => h.transport.messages.next(applied(['client-1-2', 1]))); // B1
      at(ts, 4, () => h.transport.messages.next(applied(['client-1-1', 2], ['client-1-4', 3]))); // A1 + C1
      at(ts, 50, () => h.engine.stop());
      ts.flush();
      expect(h.transport.changeFrames()).toEqual([
        [1, ['client-1-1', 'client-1-2']],
        [1, ['client-1-4']],
        [3, ['client-1-5']], // B2 right after B1's ack
        [4, ['client-1-3']], // A2 right after A1's ack
      ]);
    });
  });
});

describe('upstream: a change is delivered once per session', () => {
  it('does not send again a recording that the pending read already saw (announced late)', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('5ms w 2ms a', { w: welcome(0), a: applied(['client-1-1', 1]) }) });
      let rows: ReturnType<typeof h.store.recordLocalChanges> = [];
      at(ts, 0, () => {
        h.engine.start();
        rows = h.store.recordLocalChanges([insert('todos', 'A', { title: 'a1' })], ts.now()); // durable, not yet announced
      });
      at(ts, 6, () => h.announce(rows)); // the API announces it after the session already read it as pending
      at(ts, 50, () => h.engine.stop());
      ts.flush();
      expect(h.transport.changeFrames()).toEqual([[5, ['client-1-1']]]);
      expect(h.store.counts()).toEqual({ pending: 0, failed: 0 });
      expect(h.errors).toEqual([]);
    });
  });
});
