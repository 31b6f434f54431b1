/**
 * Issue 14, point 8 (the stall of seed 20250640: `synced, pending 0, inFlight 2` for good). A
 * change is put in the outbox, but the frame leaves only when the turn ends; if its outcome
 * arrives in between (here: the echo of a send from the previous connection, which the server
 * applied late), the delivery is over, yet the frame went out anyway and counted a `sent` that no
 * `settled` ever matched. Now a change whose delivery ended is taken out of the frame.
 */
import { TestScheduler } from 'rxjs/testing';
import { at, harness, insert, sc, serverChanges, welcome } from './fakes/harness.js';

const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));

describe('upstream: an outcome between enqueue and flush', () => {
  it('sends no frame for a change whose echo arrived in the same turn, and inFlight ends at 0', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      // The server applied our change (sent on the previous connection) and its echo comes in
      // the turn in which the new session starts.
      const echo = serverChanges(0, [{ ...sc(1, 'todos', 'a', { id: 'a', title: 'x' }, 'client-1', 'client-1-1'), op: 'insert' }]);
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('5ms (we)', { w: welcome(0), e: echo }) });
      h.store.recordLocalChanges([insert('todos', 'a', { title: 'x' })], 0);
      at(ts, 0, () => h.engine.start());
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(h.store.change('client-1-1')).toEqual(jasmine.objectContaining({ status: 'synced', lsn: 1 }));
      expect(h.transport.changeFrames()).toEqual([]);
      expect(h.engine.status()).toEqual(jasmine.objectContaining({ connection: 'synced', pending: 0, inFlight: 0 }));
    });
  });
});
