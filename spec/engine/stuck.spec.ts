import { TestScheduler } from 'rxjs/testing';
import { ErrorCodes } from '../../lib/errors.js';
import { nextStuckState } from '../../lib/engine/stuck-detector.js';
import { applied, at, harness, insert, welcome } from './fakes/harness.js';

describe('stuck detector', () => {
  it('reports a queue head that does not move (status + errors$), and clears when it moves', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ hot }) => {
      // a server that never acks, with an ack timeout longer than the stuck threshold
      const config = { ackTimeout: 300_000, stuckThreshold: 60_000, stuckCheckInterval: 5_000 };
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w', { w: welcome(0) }), config });
      at(ts, 0, () => h.engine.start());
      at(ts, 1, () => h.record(insert('todos', 'a', {})));
      at(ts, 59_000, () => expect(h.engine.status().stuck).toBeFalse());
      at(ts, 70_000, () => h.transport.messages.next(applied(['client-1-1', 1])));
      at(ts, 100_000, () => h.engine.stop());
      ts.flush();
      // first look at 5 000 sees the head; 60 000 later (t=65 000) it is stuck
      expect(h.errors.map((e) => [e.at, e.error.code, e.error.change_id])).toEqual([[65_000, ErrorCodes.QUEUE_STUCK, 'client-1-1']]);
      expect(h.statuses.filter((s) => s.status.stuck).map((s) => s.at)).toEqual([65_000]);
      expect(h.engine.status().stuck).toBeFalse();
    });
  });

  it('nextStuckState: a new head resets the clock; the same head for the threshold is stuck', () => {
    const s0 = { head: 'a', since: 0, stuck: false };
    expect(nextStuckState(s0, 'a', 999, 1000).stuck).toBeFalse();
    expect(nextStuckState(s0, 'a', 1000, 1000).stuck).toBeTrue();
    expect(nextStuckState(s0, 'b', 5000, 1000)).toEqual({ head: 'b', since: 5000, stuck: false });
    expect(nextStuckState({ head: null, since: 0, stuck: false }, null, 9e9, 1000).stuck).toBeFalse();
  });
});
