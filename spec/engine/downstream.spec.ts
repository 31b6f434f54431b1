import { TestScheduler } from 'rxjs/testing';
import { ErrorCodes, ProtocolError } from '../../lib/errors.js';
import type { EngineMetrics } from '../../lib/log/metrics.js';
import type { ServerFrame } from '../../lib/protocol/index.js';
import { at, harness, page, sc, serverChanges, welcome } from './fakes/harness.js';

const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));
const b1 = serverChanges(0, [sc(1, 'todos', 'x', { n: 1 })]);
const b2 = serverChanges(1, [sc(2, 'todos', 'x', { n: 2 })]);
const b3 = serverChanges(2, [sc(3, 'todos', 'y', { n: 3 })]);

describe('downstream: LSN order, gaps, duplicates, rollback', () => {
  it('applies out-of-order batches (3 before 2) in LSN order, requesting the gap once', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w a b c', { w: welcome(0), a: b1, b: b3, c: b2 }) });
      at(ts, 0, () => h.engine.start());
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(h.store.applyCalls.map((b) => [b.prev_lsn, b.lsn])).toEqual([[0, 1], [1, 2], [2, 3]]);
      expect(h.transport.ofType('sync_request').map((s) => [s.at, s.frame.from_lsn])).toEqual([[2, 1]]);
      expect(h.transport.ofType('ack').map((s) => [s.at, s.frame.lsn])).toEqual([[1, 1], [3, 2], [3, 3]]);
      expect(h.store.getLsn()).toBe(3);
      expect(h.store.row('todos', 'x')).toEqual({ n: 2 });
      expect(h.processed.map((p) => p.lsn)).toEqual([1, 2, 3]);
    });
  });

  it('skips and acks duplicates (lsn <= local lsn) without applying them', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w a b a b', { w: welcome(0), a: b1, b: b2 }) });
      at(ts, 0, () => h.engine.start());
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(h.store.applyCalls.map((b) => b.lsn)).toEqual([1, 2]);
      expect(h.transport.ofType('ack').map((s) => s.frame.lsn)).toEqual([1, 2, 2, 2]);
      expect(h.engine.status().lsn).toBe(2);
      expect(h.store.all().filter((c) => c.origin === 'server').length).toBe(2);
    });
  });

  it('fills a gap with sync_request / sync_response, then applies the held batch', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const fill = page(0, 2, [sc(1, 'todos', 'x', { n: 1 }), sc(2, 'todos', 'x', { n: 2 })], true);
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w c 8ms f', { w: welcome(0), c: b3, f: fill }) });
      at(ts, 0, () => h.engine.start());
      at(ts, 5, () => expect(h.store.getLsn()).toBe(0)); // held, nothing applied
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(h.transport.ofType('sync_request').map((s) => [s.at, s.frame.from_lsn])).toEqual([[1, 0]]);
      expect(h.store.applyCalls.map((b) => [b.prev_lsn, b.lsn])).toEqual([[0, 2], [2, 3]]);
      expect(h.store.getLsn()).toBe(3);
    });
  });

  it('rolls back a batch whose apply throws: LSN unchanged, errors$ says why, retried with backoff until it commits', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      // mulberry32(42): retry delays floor(0.6011 * 500) = 300, floor(0.4482 * 1000) = 448
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w a b', { w: welcome(0), a: b1, b: b2 }), seed: 42 });
      h.store.failNextApplies(2);
      const metrics: EngineMetrics[] = [];
      h.engine.metrics$.subscribe((m) => metrics.push(m));
      at(ts, 0, () => h.engine.start());
      at(ts, 200, () => {
        expect(h.store.getLsn()).toBe(0);
        expect(h.store.row('todos', 'x')).toBeUndefined(); // the partial write was rolled back
        expect(h.transport.ofType('ack')).toEqual([]);
      });
      at(ts, 5_000, () => h.engine.stop());
      ts.flush();
      expect(h.errors.map((e) => [e.at, e.error.code, e.error.lsn, e.error.attempt])).toEqual([
        [1, ErrorCodes.APPLY_FAILED, 1, 1],
        [301, ErrorCodes.APPLY_FAILED, 1, 2],
      ]);
      expect(h.errors[0]!.error.message).toContain('disk I/O error (injected)');
      // b2 waited behind b1 (order kept), both committed after the retry at 749
      expect(h.transport.ofType('ack').map((s) => [s.at, s.frame.lsn])).toEqual([[749, 1], [749, 2]]);
      expect(h.store.getLsn()).toBe(2);
      // The counters saw both failures and both commits (one transaction each: the clock is virtual, 0 ms).
      expect(metrics[metrics.length - 1]).toEqual(jasmine.objectContaining({ batchesApplied: 2, changesApplied: 2, errors: 2, changesQuarantined: 0, applyTimeMs: 0 }));
      expect(metrics[0]).toEqual(jasmine.objectContaining({ batchesApplied: 0, errors: 0 }));
    });
  });

  it('bounds held batches: over the limit they are dropped, reported, and a resync is requested', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const gap = (n: number) => serverChanges(n + 4, [sc(n + 5, 'todos', 'z', { n })]);
      const h = harness(ts, {
        state$: hot('o', { o: 'open' }),
        message$: hot('w a b c', { w: welcome(0), a: gap(1), b: gap(2), c: gap(3) }),
        config: { maxHeldBatches: 2 },
      });
      at(ts, 0, () => h.engine.start());
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(h.errors.map((e) => [e.at, e.error.code])).toEqual([[3, ErrorCodes.GAP_OVERFLOW]]);
      expect(h.transport.ofType('sync_request').map((s) => [s.at, s.frame.from_lsn])).toEqual([[1, 0], [3, 0]]);
      expect(h.store.applyCalls).toEqual([]);
    });
  });

  it('a bad frame (transport decode error) reaches errors$, nothing is applied, later frames still apply', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const bad = new ProtocolError('invalid "server_changes" frame at "changes.0.lsn": expected Lsn', { path: 'changes.0.lsn' });
      const h = harness(ts, {
        state$: hot('o', { o: 'open' }),
        message$: hot('w - a', { w: welcome(0), a: b1 }),
        errors$: hot('- e', { e: bad }),
      });
      at(ts, 0, () => h.engine.start());
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(h.errors.map((e) => [e.at, e.error.code, e.error.path])).toEqual([[1, ErrorCodes.PROTOCOL, 'changes.0.lsn']]);
      expect(h.store.getLsn()).toBe(1);
      expect(h.engine.status()).toEqual(jasmine.objectContaining({ connection: 'synced', lastError: jasmine.objectContaining({ code: ErrorCodes.PROTOCOL }) }));
    });
  });

  it('reports error { code: client_ahead } as CLIENT_AHEAD and goes on', () => {
    const ts = newScheduler();
    const ahead: ServerFrame = { type: 'error', code: 'client_ahead', message: 'client lsn 9 > server lsn 3', lsn: 3 };
    ts.run(({ hot }) => {
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w e a', { w: welcome(0), e: ahead, a: b1 }) });
      at(ts, 0, () => h.engine.start());
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(h.errors.map((e) => [e.error.code, e.error.lsn])).toEqual([[ErrorCodes.CLIENT_AHEAD, 3]]);
      expect(h.store.getLsn()).toBe(1);
    });
  });
});

describe('downstream: an unanswered sync_request never stalls catch-up', () => {
  it('asks again after ackTimeout when a page is lost, reports it, and stops watching once answered', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const p = page(0, 2, [sc(1, 'todos', 'x', { n: 1 }), sc(2, 'todos', 'x', { n: 2 })], true);
      // welcome at 0 (server at 2); the first page is lost; the re-sent request is answered at 120.
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w 119ms p', { w: welcome(2), p }), config: { ackTimeout: 100 } });
      at(ts, 0, () => h.engine.start());
      at(ts, 500, () => h.engine.stop());
      ts.flush();
      expect(h.transport.ofType('sync_request').map((s) => [s.at, s.frame.from_lsn])).toEqual([[0, 0], [100, 0]]);
      expect(h.errors.map((e) => [e.at, e.error.code])).toEqual([[100, ErrorCodes.REQUEST_TIMEOUT]]);
      expect(h.store.getLsn()).toBe(2);
      expect(h.engine.status().connection).toBe('synced');
    });
  });

  it('a page answering an older request applies its changes but starts no second chain of requests', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      // Two answers to from_lsn 0 arrive (an old request re-sent after a reconnect, and the current one).
      const first = page(0, 1, [sc(1, 'todos', 'x', { n: 1 })], false);
      const second = page(1, 2, [sc(2, 'todos', 'x', { n: 2 })], true);
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w a a 3ms b', { w: welcome(2), a: first, b: second }) });
      at(ts, 0, () => h.engine.start());
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      // one request per page: from 0 (welcome), from 1 (after the first page); the duplicate answer asks nothing
      expect(h.transport.ofType('sync_request').map((s) => [s.at, s.frame.from_lsn])).toEqual([[0, 0], [1, 1]]);
      expect(h.store.getLsn()).toBe(2);
      expect(h.engine.status().connection).toBe('synced');
    });
  });

  it('asks for the next page when a page arrives, before applying it, and sends one request per page', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const p1 = page(0, 1, [sc(1, 'todos', 'x', { n: 1 })], false);
      const p2 = page(1, 2, [sc(2, 'todos', 'y', { n: 2 })], false);
      const p3 = page(2, 3, [sc(3, 'todos', 'z', { n: 3 })], true);
      const h = harness(ts, { state$: hot('o', { o: 'open' }), message$: hot('w 2ms a 2ms b 2ms c', { w: welcome(3), a: p1, b: p2, c: p3 }) });
      // How many requests had gone out when each page was applied.
      const sentAtApply: number[] = [];
      const apply = h.store.applyServerBatch.bind(h.store);
      spyOn(h.store, 'applyServerBatch').and.callFake((batch, now) => {
        sentAtApply.push(h.transport.ofType('sync_request').length);
        return apply(batch, now);
      });
      at(ts, 0, () => h.engine.start());
      at(ts, 100, () => h.engine.stop());
      ts.flush();
      expect(h.transport.ofType('sync_request').map((s) => [s.at, s.frame.from_lsn])).toEqual([[0, 0], [3, 1], [6, 2]]);
      expect(sentAtApply).toEqual([2, 3, 3]);
      expect(h.store.getLsn()).toBe(3);
      expect(h.engine.status().connection).toBe('synced');
    });
  });
});
