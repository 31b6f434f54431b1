import { TestScheduler } from 'rxjs/testing';
import { ErrorCodes } from '../../lib/errors.js';
import { applied, at, harness, insert, rejected, sc, serverChanges, update, welcome } from './fakes/harness.js';

const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));

describe('upstream: rejections and echoes', () => {
  it('a rejection fails the change, restores the server row, reports it, and the row queue moves on', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, {
        state$: hot('o', { o: 'open' }),
        message$: hot('w 4ms r 4ms a', {
          w: welcome(0),
          r: rejected('client-1-1', 'constraint failed', { id: 'a', title: 'server', done: 0 }),
          a: applied(['client-1-2', 7]),
        }),
      });
      at(ts, 0, () => h.engine.start());
      at(ts, 0, () => h.record(update('todos', 'a', { title: 'mine' }), update('todos', 'a', { done: 1 })));
      at(ts, 2, () => expect(h.store.row('todos', 'a')).toEqual({ title: 'mine', done: 1 }));
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      // server version + the still-pending done=1 on top
      expect(h.store.row('todos', 'a')).toEqual({ id: 'a', title: 'server', done: 1 });
      expect(h.store.change('client-1-1')!).toEqual(jasmine.objectContaining({ status: 'failed', last_error: 'constraint failed' }));
      expect(h.transport.changeFrames()).toEqual([[0, ['client-1-1']], [5, ['client-1-2']]]);
      expect(h.errors.map((e) => [e.at, e.error.code, e.error.change_id])).toEqual([[5, ErrorCodes.REJECTED, 'client-1-1']]);
      expect(h.processed).toContain({ type: 'changes_processed', origin: 'server', change_ids: ['client-1-1'], entities: ['todos'] });
      expect(h.engine.status()).toEqual(jasmine.objectContaining({ pending: 0, failed: 1 }));
    });
  });

  it('the echo of an own change marks it synced, is not applied twice, and settles the wait (no re-send)', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const echo = sc(1, 'todos', 'a', { title: 'mine' }, 'client-1', 'client-1-1');
      const other = sc(2, 'todos', 'b', { title: 'theirs' });
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w 4ms e', { w: welcome(0), e: serverChanges(0, [echo, other]) }) });
      at(ts, 0, () => h.engine.start());
      at(ts, 0, () => h.record(insert('todos', 'a', { title: 'mine' })));
      at(ts, 60_000, () => h.engine.stop());
      ts.flush();
      expect(h.transport.changeFrames()).toEqual([[0, ['client-1-1']]]);
      expect(h.store.change('client-1-1')!).toEqual(jasmine.objectContaining({ status: 'synced', lsn: 1, attempts: 0 }));
      // only the other client's change became a server row in local_changes
      expect(h.store.all().filter((c) => c.origin === 'server').map((c) => c.change_id)).toEqual(['s2']);
      expect(h.errors).toEqual([]);
      expect(h.engine.status()).toEqual(jasmine.objectContaining({ lsn: 2, pending: 0, inFlight: 0 }));
      expect(h.transport.ofType('ack').map((a) => a.frame.lsn)).toEqual([2]);
    });
  });
});
