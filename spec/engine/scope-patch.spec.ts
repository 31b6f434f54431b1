/**
 * Marble specs of a `scope_patch` (access rules) in the downstream pipeline: applied on arrival
 * without moving the LSN; batches held behind a gap are dropped (they were sent before the patch
 * and may carry rows it removed) and the range is asked for again; pending local changes on the
 * patched rows are re-applied on top, others are not touched.
 */
import { TestScheduler } from 'rxjs/testing';
import type { ServerFrame } from '../../lib/protocol/index.js';
import { at, harness, page, sc, serverChanges, welcome } from './fakes/harness.js';

const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));
const patch = (changes: Extract<ServerFrame, { type: 'scope_patch' }>['changes'], scopes?: string[]): ServerFrame =>
  scopes === undefined ? { type: 'scope_patch', changes } : { type: 'scope_patch', changes, scopes };

describe('downstream: scope patches', () => {
  it('writes and deletes rows without moving the LSN, records the scopes of the last frame', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const b1 = serverChanges(0, [sc(1, 'todos', 'x', { id: 'x', title: 'one', done: 0 })]);
      const p1 = patch([{ entity: 'todos', entity_id: 'y', op: 'insert', data: { id: 'y', title: 'backfilled', done: 0 } }]);
      const p2 = patch([{ entity: 'todos', entity_id: 'x', op: 'delete', data: null }], ['team:2']);
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w a p q', { w: welcome(0), a: b1, p: p1, q: p2 }) });
      at(ts, 0, () => h.engine.start());
      at(ts, 2, () => expect(h.store.replicaScopes()).toBeNull()); // not complete yet
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(h.store.getLsn()).toBe(1);
      expect(h.store.row('todos', 'y')).toEqual({ id: 'y', title: 'backfilled', done: 0 });
      expect(h.store.row('todos', 'x')).toBeUndefined();
      expect(h.store.replicaScopes()).toEqual(['team:2']);
      expect(h.processed.map((p) => p.entities)).toEqual([['todos'], ['todos'], ['todos']]);
    });
  });

  it('drops batches held behind a gap and asks for the range again', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const held = serverChanges(5, [sc(6, 'todos', 'gone', { id: 'gone', title: 'old scope', done: 0 })]);
      const p = patch([{ entity: 'todos', entity_id: 'gone', op: 'delete', data: null }], ['team:2']);
      const fill = page(0, 6, [], true);
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w h p 5ms f', { w: welcome(0), h: held, p, f: fill }) });
      at(ts, 0, () => h.engine.start());
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      // The held batch was dropped: the row the patch removed does not come back.
      expect(h.store.row('todos', 'gone')).toBeUndefined();
      expect(h.store.applyCalls.map((b) => [b.prev_lsn, b.lsn])).toEqual([[0, 6]]);
      expect(h.store.getLsn()).toBe(6);
      expect(h.transport.ofType('sync_request').map((s) => s.frame.from_lsn)).toEqual([0]);
    });
  });

  it('re-applies a pending local change on a patched row; other pending changes are untouched', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const p = patch([{ entity: 'todos', entity_id: 'a', op: 'insert', data: { id: 'a', title: 'server', done: 0 } }], ['team:1']);
      const h = harness(ts, { state$: hot('-----o', { o: 'open' }), message$: hot('------w p', { w: welcome(0), p }) });
      h.store.recordLocalChanges([{ entity: 'todos', entity_id: 'a', op: 'update', data: { done: 1 } }, { entity: 'todos', entity_id: 'b', op: 'insert', data: { id: 'b', title: 'mine', done: 0 } }], 0);
      at(ts, 0, () => h.engine.start());
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(h.store.row('todos', 'a')).toEqual({ id: 'a', title: 'server', done: 1 });
      expect(h.store.row('todos', 'b')).toEqual({ id: 'b', title: 'mine', done: 0 });
    });
  });
});
