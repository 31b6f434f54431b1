import {
  afterPage, answersRequest, classifyBatch, isOverdue, markRequested, holdBatch, initialOrdering, needsRequest, onWelcome, takeNextHeld, trimBatch, type OrderedBatch, prefetchNext, takePrefetched,
} from '../../lib/engine/lsn-ordering.js';
import { sc } from './fakes/harness.js';

const batch = (prev_lsn: number, lsn: number): OrderedBatch => ({
  prev_lsn, lsn, page: null, changes: Array.from({ length: lsn - prev_lsn }, (_, i) => sc(prev_lsn + i + 1, 't', 'x', {})),
});

describe('lsn ordering (pure)', () => {
  it('classifies stale / gap / next', () => {
    expect(classifyBatch(5, batch(3, 5))).toBe('stale');
    expect(classifyBatch(5, batch(6, 7))).toBe('gap');
    expect(classifyBatch(5, batch(5, 7))).toBe('next');
    expect(classifyBatch(5, batch(3, 7))).toBe('next');
  });

  it('trims the already-applied part of an overlapping batch', () => {
    const t = trimBatch(batch(3, 7), 5);
    expect([t.prev_lsn, t.lsn, t.changes.map((c) => c.lsn)]).toEqual([5, 7, [6, 7]]);
  });

  it('holds gap batches sorted, once each, and drains them in order', () => {
    let s = initialOrdering(1);
    s = holdBatch(s, batch(4, 5), 10).state;
    s = holdBatch(s, batch(2, 3), 10).state;
    s = holdBatch(s, batch(2, 3), 10).state;
    expect(s.held.map((b) => b.lsn)).toEqual([3, 5]);
    expect(needsRequest(s)).toBeTrue();
    expect(takeNextHeld(s).batch).toBeNull(); // 1 -> 2 still missing
    const next = takeNextHeld({ ...s, lsn: 2 });
    expect(next.batch!.lsn).toBe(3);
    expect(next.state.held.map((b) => b.lsn)).toEqual([5]);
    // stale held batches are dropped on the way
    expect(takeNextHeld({ ...s, lsn: 9 })).toEqual({ state: { ...s, lsn: 9, held: [] }, batch: null });
  });

  it('overflow drops the held batches and clears the outstanding request', () => {
    const s = holdBatch({ ...initialOrdering(0), requestedFrom: 0 }, batch(2, 3), 1).state;
    const over = holdBatch(s, batch(4, 5), 1);
    expect(over.overflow).toBeTrue();
    expect(over.state.held).toEqual([]);
    expect(over.state.requestedFrom).toBeNull();
  });

  it('welcome starts catch-up only when the server is ahead; pages end it when complete', () => {
    expect(onWelcome(3, 9)).toEqual({ state: { lsn: 3, held: [], requestedFrom: 3, catchUpTo: 9, requestSerial: 1, cursor: null, prefetched: null }, catchUp: true, ahead: false });
    expect(onWelcome(3, 3).catchUp).toBeFalse();
    expect(onWelcome(5, 3).ahead).toBeTrue();
    const s = onWelcome(3, 9).state;
    expect(afterPage({ ...s, lsn: 6 }, false)).toEqual({ state: { ...s, lsn: 6, requestedFrom: null }, more: true, caughtUp: false });
    expect(afterPage({ ...s, lsn: 9 }, true).caughtUp).toBeTrue();
    expect(afterPage(initialOrdering(9), true).caughtUp).toBeFalse(); // a gap-fill page is not catch-up
  });
});

describe('lsn ordering: request bookkeeping', () => {
  it('tells the answer to the outstanding request from an older one, and an overdue request from a newer one', () => {
    const s = markRequested(initialOrdering(4, 7));
    expect(s).toEqual({ lsn: 4, held: [], requestedFrom: 4, catchUpTo: null, requestSerial: 8, cursor: null, prefetched: null });
    expect(answersRequest(s, 4)).toBeTrue();
    expect(answersRequest(s, 2)).toBeFalse();
    expect(answersRequest(initialOrdering(4), 4)).toBeFalse(); // nothing outstanding
    expect(isOverdue(s, 8)).toBeTrue();
    expect(isOverdue(s, 7)).toBeFalse(); // an older request's timer
    expect(isOverdue(afterPage(s, true).state, 8)).toBeFalse(); // answered
    // a welcome keeps counting, so a timer from the previous connection never matches
    expect(onWelcome(0, 5, s.requestSerial).state.requestSerial).toBe(9);
  });
});

describe('lsn ordering: snapshot pages', () => {
  const snap = (from: number) => ({ prev_lsn: from, lsn: from, changes: [], snapshot: true });
  it('a snapshot page that is not the last applies at its from LSN (not stale), is stale below it and a gap above', () => {
    expect(classifyBatch(0, snap(0))).toBe('next');
    expect(classifyBatch(5, snap(3))).toBe('stale');
    expect(classifyBatch(3, snap(5))).toBe('gap');
  });

  it('keeps the cursor of an incomplete snapshot page for the next request, and drops it with the last page', () => {
    const s = onWelcome(0, 50).state;
    const mid = afterPage(s, false, 17);
    expect(mid.more).toBeTrue();
    expect(mid.state.cursor).toBe(17);
    expect(mid.state.lsn).toBe(0);
    const last = afterPage({ ...markRequested(mid.state), lsn: 50 }, true);
    expect(last.state.cursor).toBeNull();
    expect(last.caughtUp).toBeTrue();
  });
});

describe('lsn ordering: the next page is asked for when a page arrives', () => {
  const logPage = (from: number, lsn: number, complete: boolean) => ({ prev_lsn: from, lsn, changes: [], page: { complete, from } });
  const snapPage = (from: number, cursor: number, complete = false) => ({ prev_lsn: from, lsn: from, changes: [], snapshot: true, page: { complete, from, cursor } });

  it('a log page asks from its lsn, a snapshot page from the same LSN with its cursor; the serial moves on', () => {
    const s = onWelcome(3, 50).state; // outstanding: from 3, serial 1
    const log = prefetchNext(s, logPage(3, 10, false));
    expect(log?.request).toEqual({ from: 10, cursor: null, serial: 2 });
    expect(log?.state.requestSerial).toBe(2);
    expect(log?.state.requestedFrom).toBe(3); // the current page's request is still the answered one
    const snap = prefetchNext(s, snapPage(3, 40));
    expect(snap?.request).toEqual({ from: 3, cursor: 40, serial: 2 });
  });

  it('asks nothing for the last page, for a page answering an older request, or twice', () => {
    const s = onWelcome(3, 50).state;
    expect(prefetchNext(s, logPage(3, 50, true))).toBeNull();
    expect(prefetchNext(s, logPage(1, 10, false))).toBeNull();
    expect(prefetchNext(s, { prev_lsn: 3, lsn: 4, changes: [], page: null })).toBeNull();
    const once = prefetchNext(s, logPage(3, 10, false))!;
    expect(prefetchNext(once.state, logPage(3, 10, false))).toBeNull();
  });

  it('once the page is applied, the request sent ahead is the outstanding one only if it asks from where the page left off', () => {
    const s = onWelcome(3, 50).state;
    const ahead = prefetchNext(s, snapPage(3, 40))!;
    const after = afterPage(ahead.state, false, 40);
    expect(takePrefetched(after.state)).toEqual({ ...after.state, requestedFrom: 3, requestSerial: 2, prefetched: null });
    // A different position (the page was retried and quarantined elsewhere, a timeout re-asked): not taken.
    expect(takePrefetched(afterPage(ahead.state, false, 41).state)).toBeNull();
    expect(takePrefetched({ ...after.state, lsn: 4 })).toBeNull();
    expect(takePrefetched(afterPage(s, false, 40).state)).toBeNull(); // nothing was sent ahead
  });
});
