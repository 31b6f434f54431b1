import { ErrorCodes, PersistenceError, type SyncError } from '../../lib/errors.js';
import { decodeJournal, encodeFrame } from '../../lib/store/journal.js';
import { createMemoryMedium, memoryPersistence, type MemoryMedium } from '../../lib/store/persistence.js';
import type { OpenStoreOptions } from '../../lib/store/index.js';
import { ids, insert, openMem, ProbePersistence, sc, todos, update } from './helpers.js';

/** Reopen on a medium after a crash: new change_ids must not repeat the first run's. */
const reopen = (m: MemoryMedium, extra: Partial<OpenStoreOptions> = {}) => openMem(m, { newId: ids('re'), ...extra });

/** A copy of what the medium holds right now: "the disk" at the moment of a crash. */
function crashImage(m: MemoryMedium): MemoryMedium {
  return { snapshot: m.snapshot && m.snapshot.slice(), journal: m.journal.map((c) => c.slice()) };
}

describe('store durability (memory medium)', () => {
  it('after a crash (store dropped, never closed) everything reported durable is there, once, with the last batch LSN', async () => {
    const medium = createMemoryMedium();
    const a = await openMem(medium);
    a.recordLocalChanges([insert('a', 'one')], 1);
    a.applyServerBatch({ prev_lsn: 0, lsn: 4, changes: [sc(4, 's4', 'insert', 'z', { id: 'z', title: 'srv', done: 0 })] }, 2);
    a.recordLocalChanges([update('a', { done: 1 }), insert('b', 'two')], 3);
    a.markSynced([{ change_id: 'me-1', lsn: 5 }], 4);
    await a.whenDurable();
    // Committed after the last durable point, never persisted: may be lost, must not be half there.
    a.recordLocalChanges([insert('c', 'lost')], 5);
    const b = await reopen(crashImage(medium));
    expect(b.getLsn()).toBe(4);
    expect(b.clientId()).toBe('me');
    expect(todos(b)).toEqual([{ id: 'a', title: 'one', done: 1 }, { id: 'b', title: 'two', done: 0 }, { id: 'z', title: 'srv', done: 0 }]);
    expect(b.query('SELECT change_id, status, lsn FROM local_changes ORDER BY seq')).toEqual([
      { change_id: 'me-1', status: 'synced', lsn: 5 },
      { change_id: 's4', status: 'synced', lsn: 4 },
      { change_id: 'me-2', status: 'pending', lsn: null },
      { change_id: 'me-3', status: 'pending', lsn: null },
    ]);
    // New seqs continue after the replayed ones.
    expect(b.recordLocalChanges([insert('d', 'new')], 6)[0]!.seq).toBe(5);
    await b.close();
    await a.close();
  });

  it('a snapshot empties the journal; reopening from snapshot + newer journal gives the same data', async () => {
    const medium = createMemoryMedium();
    const a = await openMem(medium, { snapshotEvery: 3 });
    for (let i = 0; i < 7; i++) {
      a.recordLocalChanges([insert(`r${i}`, `t${i}`)], i);
      await a.whenDurable();
    }
    expect(a.stats().snapshots).toBeGreaterThanOrEqual(2);
    expect(decodeJournal(medium.journal).txs.length).toBeLessThan(3);
    await a.snapshot();
    expect(medium.journal).toEqual([]);
    a.recordLocalChanges([insert('after', 'x')], 9);
    await a.whenDurable();
    const b = await reopen(crashImage(medium));
    expect(todos(b).length).toBe(8);
    expect(b.pendingChanges().length).toBe(8);
    await Promise.all([a.close(), b.close()]);
  });

  it('a crash between writing a snapshot and emptying the journal applies nothing twice', async () => {
    const medium = createMemoryMedium();
    const a = await openMem(medium);
    a.recordLocalChanges([insert('a', 'x')], 1);
    a.applyServerBatch({ prev_lsn: 0, lsn: 1, changes: [sc(1, 's1', 'update', 'a', { done: 1 })] }, 2);
    await a.whenDurable();
    const journalBefore = medium.journal.slice();
    await a.snapshot();
    // The new snapshot, but the old journal still there (its transactions are in the snapshot).
    const b = await reopen({ snapshot: medium.snapshot, journal: journalBefore });
    expect(b.query('SELECT count(*) AS n FROM local_changes')).toEqual([{ n: 2 }]);
    expect(b.errors).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it('a truncated journal tail: the valid prefix is kept, JOURNAL_CORRUPT is reported, the store goes on', async () => {
    const medium = createMemoryMedium();
    const a = await openMem(medium);
    a.recordLocalChanges([insert('a', 'kept')], 1);
    await a.whenDurable();
    a.recordLocalChanges([insert('b', 'torn')], 2);
    await a.whenDurable();
    const image = crashImage(medium);
    const last = image.journal[image.journal.length - 1]!;
    image.journal[image.journal.length - 1] = last.subarray(0, last.length - 5);
    const seen: SyncError[] = [];
    const b = await reopen(image, { onError: (e) => seen.push(e) });
    expect(seen.map((e) => e.code)).toEqual([ErrorCodes.JOURNAL_CORRUPT]);
    expect(b.errors[0]).toEqual(jasmine.any(PersistenceError));
    expect(todos(b).map((r) => r['id'])).toEqual(['a']);
    // The bad tail is gone (fresh snapshot): new writes are readable after the next crash.
    expect(image.journal).toEqual([]);
    b.recordLocalChanges([insert('c', 'new')], 3);
    await b.whenDurable();
    const c = await reopen(crashImage(image));
    expect(todos(c).map((r) => r['id'])).toEqual(['a', 'c']);
    expect(c.errors).toEqual([]);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('a corrupt frame (checksum mismatch) ends the journal there, later frames are dropped', async () => {
    const medium = createMemoryMedium();
    const a = await openMem(medium);
    for (const id of ['a', 'b', 'c']) {
      a.recordLocalChanges([insert(id, id)], 1);
      await a.whenDurable();
    }
    const image = crashImage(medium);
    const n = image.journal.length;
    image.journal[n - 2]![12] ^= 0xff;
    const b = await reopen(image);
    expect(b.errors.map((e) => e.code)).toEqual([ErrorCodes.JOURNAL_CORRUPT]);
    expect(b.errors[0]!.message).toMatch(/checksum/);
    expect(todos(b).map((r) => r['id'])).toEqual(['a']);
    await Promise.all([a.close(), b.close()]);
  });

  it('group commit: 200 records made while a write is in flight share a few journal writes', async () => {
    const probe = new ProbePersistence(memoryPersistence());
    const store = await openMem(undefined, { persistence: probe });
    await store.whenDurable();
    const before = probe.appends;
    const done: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      store.recordLocalChanges([insert(`r${i}`, 'x')], i);
      done.push(store.whenDurable());
      // Let the writer loop start between some records, as concurrent callers would.
      if (i % 50 === 0) await Promise.resolve();
    }
    await Promise.all(done);
    const writes = probe.appends - before;
    expect(store.stats().transactions).toBeGreaterThanOrEqual(200);
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(writes).toBeLessThanOrEqual(8);
    await store.close();
  });

  it('a failed write rejects whenDurable with PersistenceError, keeps the data and writes it on the next try', async () => {
    const medium = createMemoryMedium();
    const probe = new ProbePersistence(memoryPersistence(medium));
    const store = await openMem(undefined, { persistence: probe });
    const errors: SyncError[] = [];
    store.onError((e) => errors.push(e));
    probe.failNext = new Error('disk full');
    store.recordLocalChanges([insert('a', 'x')], 1);
    await expectAsync(store.whenDurable()).toBeRejectedWith(jasmine.any(PersistenceError));
    expect(errors.map((e) => e.code)).toEqual([ErrorCodes.PERSISTENCE]);
    await store.whenDurable();
    const b = await reopen(crashImage(medium));
    expect(todos(b).map((r) => r['id'])).toEqual(['a']);
    await Promise.all([store.close(), b.close()]);
  });

  it('journal frames round-trip and detect every kind of damage', () => {
    const f1 = encodeFrame(['[1,[["s","k",1]]]']);
    const f2 = encodeFrame(['[2,[["s","k",2]]]', '[3,[]]']);
    expect(decodeJournal([f1, f2]).txs.map((t) => t.seq)).toEqual([1, 2, 3]);
    expect(decodeJournal([f1, f2.subarray(0, 5)]).problem).toMatch(/truncated frame header/);
    expect(decodeJournal([f1, f2.subarray(0, 20)]).problem).toMatch(/truncated frame/);
    const bad = f2.slice();
    bad[4] ^= 1;
    const read = decodeJournal([f1, bad]);
    expect(read.problem).toMatch(/checksum/);
    expect(read.validBytes).toBe(f1.length);
    expect(read.txs.map((t) => t.seq)).toEqual([1]);
  });
});
