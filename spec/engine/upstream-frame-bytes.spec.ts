/**
 * Outgoing frames have a byte budget (lib/engine/frame-budget.ts, `maxFrameBytes`): the changes of
 * one turn leave in frames of at most that many bytes, in order, each with at least one change. A
 * frame over the server's limit is refused whole, and before this it was sent again, whole, after
 * every reconnect: a client that wrote a few big rows in one turn never synced again.
 */
import { TestScheduler } from 'rxjs/testing';
import { framesByBytes } from '../../lib/engine/frame-budget.js';
import { utf8Length, type ClientChange } from '../../lib/protocol/index.js';
import { at, harness, insert, welcome } from './fakes/harness.js';

const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));
const big = (id: string, chars: number, ch = 'x'): ClientChange => ({ change_id: id, entity: 't', entity_id: id, op: 'insert', data: { id, body: ch.repeat(chars) } });

describe('upstream: a byte budget per client_change frame', () => {
  it('sends the changes of one turn in frames under maxFrameBytes, in order, and each row once', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w', { w: welcome(0) }), config: { maxFrameBytes: 35_000 } });
      at(ts, 0, () => h.engine.start());
      // Ten rows of about 10 KB in one turn: 100 KB, more than the budget.
      at(ts, 1, () => h.record(...Array.from({ length: 10 }, (_, i) => insert('todos', `r${i}`, { title: 'x'.repeat(10_000) }))));
      at(ts, 20, () => h.engine.stop());
      ts.flush();
      const frames = h.transport.changeFrames();
      expect(frames.map(([t, ids]) => [t, ids.length])).toEqual([[1, 3], [1, 3], [1, 3], [1, 1]]);
      expect(frames.flatMap(([, ids]) => ids)).toEqual(Array.from({ length: 10 }, (_, i) => `client-1-${i + 1}`));
      for (const { frame } of h.transport.ofType('client_change')) expect(utf8Length(JSON.stringify(frame))).toBeLessThan(35_000 + 100);
    });
  });

  it('cuts by UTF-8 bytes, keeps order, and sends a change over the budget alone', () => {
    // 'é' is 2 bytes, '😀' (a surrogate pair) 4: by UTF-16 length these would fit twice as many.
    expect(utf8Length('aé😀')).toBe(1 + 2 + 4);
    expect(utf8Length('\ud800x')).toBe(4); // a lone surrogate goes as U+FFFD (3 bytes)
    const changes = [big('a', 3000, 'é'), big('b', 3000, 'é'), big('c', 20_000), big('d', 10), big('e', 10)];
    const frames = framesByBytes(changes, 12_500);
    expect(frames.map((f) => f.map((c) => c.change_id))).toEqual([['a', 'b'], ['c'], ['d', 'e']]);
    expect(framesByBytes(changes, 7_000).map((f) => f.length)).toEqual([1, 1, 1, 2]);
    expect(framesByBytes(changes, Infinity)).toEqual([changes]);
  });
});
