import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { isRight } from 'fp-ts/lib/Either.js';
import { SyncStatusCodec } from '../../lib/protocol/index.js';
import { applied, at, harness, insert, page, sc, serverChanges, welcome } from './fakes/harness.js';
import { FakeStore } from './fakes/fake-store.js';

const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));

describe('status$ and the catch-up protocol', () => {
  it('emits the expected sequence for connect, catch-up, synced, disconnect, reconnect', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const store = new FakeStore();
      store.recordLocalChanges([insert('todos', 'a', { title: 'offline' })], 0); // recorded before the engine runs
      const h = harness(ts, {
        store,
        state$: hot('d c h o 16ms c 9ms h o', { d: 'closed', c: 'connecting', h: 'handshaking', o: 'open' }),
        message$: hot('--- w - p - g - q - a 19ms v', {
          w: welcome(4),
          p: page(0, 2, [sc(1, 'todos', 'x', { n: 1 }), sc(2, 'todos', 'x', { n: 2 })], false),
          g: serverChanges(4, [sc(5, 'todos', 'y', { n: 5 })]), // arrives during catch-up: held
          q: page(2, 4, [sc(3, 'todos', 'x', { n: 3 }), sc(4, 'todos', 'x', { n: 4 })], true),
          a: applied(['client-1-1', 6]),
          v: welcome(5),
        }),
      });
      at(ts, 0, () => h.engine.start());
      at(ts, 60, () => h.engine.stop());
      ts.flush();
      const seq = h.statuses.map(({ at: t, status: s }) => [t, s.connection, s.lsn, s.catchingUp, s.pending, s.inFlight]);
      expect(seq).toEqual([
        [0, 'disconnected', 0, null, 1, 0],
        [1, 'connecting', 0, null, 1, 0],
        [2, 'handshaking', 0, null, 1, 0],
        [3, 'catching_up', 0, { from: 0, to: 4, done: 0 }, 1, 0],
        [5, 'catching_up', 2, { from: 0, to: 4, done: 2 }, 1, 0],
        // last page complete -> synced, the held batch (lsn 5) applied, then the pending change sent
        [9, 'synced', 5, null, 1, 0],
        [9, 'synced', 5, null, 1, 1],
        [11, 'synced', 5, null, 0, 0],
        [20, 'connecting', 5, null, 0, 0],
        [30, 'handshaking', 5, null, 0, 0],
        [31, 'synced', 5, null, 0, 0],
      ]);
      // catch-up requests: from the local lsn after welcome, then after the incomplete page
      expect(h.transport.ofType('sync_request').map((s) => [s.at, s.frame.from_lsn])).toEqual([[3, 0], [5, 2]]);
      // unacknowledged changes go out only after catch-up
      expect(h.transport.changeFrames()).toEqual([[9, ['client-1-1']]]);
      expect(h.statuses.every((s) => isRight(SyncStatusCodec.decode(s.status)))).toBeTrue();
      expect(h.statuses[h.statuses.length - 1]!.status.lastSyncedAt).toBe(31);
    });
  });

  it('replays the current status to late subscribers and emits only on change', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      // 'open' twice: the second one changes nothing in the snapshot, so nothing is emitted
      const h = harness(ts, { state$: hot('c 9ms o 4ms o', { c: 'connecting', o: 'open' }), message$: hot('10ms w', { w: welcome(0) }) });
      at(ts, 0, () => h.engine.start());
      at(ts, 50, () => h.engine.stop());
      const connection$ = h.engine.status$.pipe(map((s) => s.connection));
      expectObservable(connection$).toBe('(ab) 6ms c', { a: 'disconnected', b: 'connecting', c: 'synced' });
      // a subscriber arriving at t=20 gets the current snapshot at once
      expectObservable(connection$, '20ms ^').toBe('20ms a', { a: 'synced' });
    });
  });
});
