import { TestScheduler } from 'rxjs/testing';
import { ErrorCodes } from '../../lib/errors.js';
import type { ServerFrame } from '../../lib/protocol/index.js';
import { applied, at, harness, insert, welcome } from './fakes/harness.js';

const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));
const clientAhead = (lsn: number): ServerFrame => ({ type: 'error', code: 'client_ahead', message: 'restored from a backup', lsn });

describe('resync when the server is behind the client (client_ahead)', () => {
  it('re-pends the changes acked above the server LSN, moves the LSN back, reconnects, reports once', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, {
        state$: hot('o', { o: 'open' }),
        message$: hot('w 4ms a 9ms x', { w: welcome(0), a: applied(['client-1-1', 1], ['client-1-2', 2], ['client-1-3', 3]), x: clientAhead(1) }),
      });
      at(ts, 0, () => h.engine.start());
      at(ts, 1, () => h.record(insert('todos', 'A', {}), insert('todos', 'B', {}), insert('todos', 'C', {})));
      // The echoes brought the local LSN to 3 (an empty batch stands for them here).
      at(ts, 10, () => h.store.applyServerBatch({ prev_lsn: 0, lsn: 3, changes: [] }, ts.now()));
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(h.store.getLsn()).toBe(1);
      expect(h.store.counts()).toEqual({ pending: 2, failed: 0 });
      expect(h.store.pendingChanges().map((c) => c.change_id)).toEqual(['client-1-2', 'client-1-3']);
      expect(h.transport.reconnects).toBe(1);
      expect(h.errors.map((e) => [e.at, e.error.code])).toEqual([[15, ErrorCodes.CLIENT_AHEAD]]);
      expect(h.errors[0]!.error.message).toContain('2 acked change(s) will be sent again');
    });
  });
});

describe('client_ahead that is not behind us', () => {
  it('is reported and changes nothing', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w x', { w: welcome(0), x: clientAhead(5) }) });
      at(ts, 0, () => h.engine.start());
      at(ts, 50, () => h.engine.stop());
      ts.flush();
      expect(h.store.getLsn()).toBe(0);
      expect(h.transport.reconnects).toBe(0);
      expect(h.errors.map((e) => e.error.code)).toEqual([ErrorCodes.CLIENT_AHEAD]);
    });
  });
});

describe('an engine pipeline that throws', () => {
  it('is reported on errors$ and in status, and the engine restarts on a fresh connection', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w 4ms a', { w: welcome(0), a: applied(['client-1-1', 1]) }) });
      const markSynced = h.store.markSynced.bind(h.store);
      let failures = 1;
      h.store.markSynced = (acks, now) => {
        if (failures-- > 0) throw new Error('disk on fire');
        markSynced(acks, now);
      };
      at(ts, 0, () => h.engine.start());
      at(ts, 1, () => h.record(insert('todos', 'A', {})));
      at(ts, 5000, () => h.engine.stop());
      ts.flush();
      expect(h.errors.length).toBe(1);
      expect(h.errors[0]!.at).toBe(5);
      expect(h.errors[0]!.error.message).toContain('sync engine stopped on an error and restarts: disk on fire');
      expect(h.engine.status().lastError?.message).toContain('disk on fire');
      expect(h.transport.reconnects).toBe(1);
      expect(h.store.counts().pending).toBe(1); // still pending: re-sent after the fresh handshake
    });
  });
});
