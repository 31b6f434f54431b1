import {
  afterPage, answersRequest, classifyBatch, isOverdue, markRequested, holdBatch, initialOrdering, needsRequest, onWelcome, takeNextHeld, trimBatch, type OrderedBatch,
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
    expect(onWelcome(3, 9)).toEqual({ state: { lsn: 3, held: [], requestedFrom: 3, catchUpTo: 9, requestSerial: 1, cursor: null }, catchUp: true, ahead: false });
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
    expect(s).toEqual({ lsn: 4, held: [], requestedFrom: 4, catchUpTo: null, requestSerial: 8, cursor: null });
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
