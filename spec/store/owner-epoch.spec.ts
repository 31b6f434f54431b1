/**
 * The store refuses a second writer (issue 13): every open claims a higher owner epoch in the
 * medium and every journal / snapshot write checks it, so the older engine's next write fails with
 * `store_taken_over` and nothing it writes lands after what the newer one read.
 */
import { ErrorCodes, type SyncError } from '../../lib/errors.js';
import { createMemoryMedium } from '../../lib/store/persistence.js';
import { ids, insert, openMem, todos } from './helpers.js';

describe('store owner epoch (memory medium)', () => {
  it('a second open takes the database over: the first engine gets store_taken_over on its next write', async () => {
    const medium = createMemoryMedium();
    const errors: SyncError[] = [];
    const a = await openMem(medium, { onError: (e) => errors.push(e) });
    a.recordLocalChanges([insert('x', 'durable before')], 1);
    await a.whenDurable();
    const b = await openMem(medium, { newId: ids('b') });
    expect(b.ownerEpoch()).toBe(a.ownerEpoch() + 1);
    a.recordLocalChanges([insert('y', 'after the takeover')], 2);
    const refused = await a.whenDurable().then(() => null, (e: SyncError) => e);
    expect(refused?.code).toBe(ErrorCodes.STORE_TAKEN_OVER);
    expect(errors.map((e) => e.code)).toContain(ErrorCodes.STORE_TAKEN_OVER);
    // A snapshot of the old engine is refused too: the journal stays the new owner's.
    expect(await a.snapshot().then(() => 'written', (e: SyncError) => e.code)).toBe(ErrorCodes.STORE_TAKEN_OVER);
    b.recordLocalChanges([insert('z', 'new owner')], 3);
    await b.whenDurable();
    const c = await openMem(medium, { newId: ids('c') });
    expect(todos(c).map((r) => r.id)).toEqual(['x', 'z']);
    await c.close();
  });

  it('a write re-sent with the change_ids fixed by its tab is found as already recorded', async () => {
    const store = await openMem();
    const write = [{ ...insert('p', 'one'), change_id: 'tab1-w1-0' }, { ...insert('q', 'two'), change_id: 'tab1-w1-1' }];
    expect(store.recordedAlready(write)).toBeNull();
    store.recordLocalChanges(write, 1);
    await store.whenDurable();
    expect(store.recordedAlready(write)!.map((r) => r.change_id)).toEqual(['tab1-w1-0', 'tab1-w1-1']);
    expect(store.recordedAlready([insert('p', 'no fixed id')])).toBeNull();
    expect(store.pendingChanges().length).toBe(2);
    await store.close();
  });
});
