import { ErrorCodes } from '../../lib/errors.js';
import { openStore } from '../../lib/store/index.js';
import { deleteIndexedDbStore, indexedDbPersistence } from '../../lib/store/indexeddb.js';
import type { SqlJsStore } from '../../lib/store/store.js';
import { ids, insert, ProbePersistence, sc, SCHEMA, todos, update } from './helpers.js';

let counter = 0;
const uniqueName = () => `rsw-store-spec-${Date.now()}-${++counter}`;
const open = (name: string, prefix: string, persistence = indexedDbPersistence({ name })): Promise<SqlJsStore> =>
  openStore({ schema: SCHEMA, persistence, clientId: 'me', newId: ids(prefix) });

describe('IndexedDB store (real IndexedDB)', () => {
  const names: string[] = [];
  afterAll(() => {
    // Not awaited: the "crashed" stores still hold connections, so deletion completes when they are collected.
    for (const n of names) indexedDB.deleteDatabase(n);
  });

  it('survives being dropped without close: records, acks and the batch LSN are all there', async () => {
    const name = uniqueName();
    names.push(name);
    const a = await open(name, 'a');
    a.recordLocalChanges([insert('x', 'one')], 1);
    a.recordLocalChanges([update('x', { done: 1 }), insert('y', 'two')], 2);
    a.applyServerBatch({ prev_lsn: 0, lsn: 3, changes: [sc(3, 's3', 'insert', 'z', { id: 'z', title: 'srv', done: 0 })] }, 3);
    a.markSynced([{ change_id: 'a-1', lsn: 4 }], 4);
    await a.whenDurable();
    // Simulated crash: `a` is never closed; a second store opens the same IndexedDB database.
    const b = await open(name, 'b');
    expect(b.getLsn()).toBe(3);
    expect(todos(b)).toEqual([{ id: 'x', title: 'one', done: 1 }, { id: 'y', title: 'two', done: 0 }, { id: 'z', title: 'srv', done: 0 }]);
    expect(b.pendingChanges().map((c) => c.change_id)).toEqual(['a-2', 'a-3']);
    expect(b.change('a-1')!.status).toBe('synced');
    expect(b.errors).toEqual([]);
    await b.close();
  });

  it('group commit: 100 concurrent records cost a handful of IndexedDB transactions; a snapshot empties the journal', async () => {
    const name = uniqueName();
    names.push(name);
    const probe = new ProbePersistence(indexedDbPersistence({ name }));
    const store = await open(name, 'g', probe);
    const before = probe.appends;
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 100; i++) {
      store.recordLocalChanges([insert(`r${i}`, 'x')], i);
      pending.push(store.whenDurable());
      if (i % 25 === 0) await Promise.resolve();
    }
    await Promise.all(pending);
    expect(probe.appends - before).toBeLessThanOrEqual(6);
    await store.snapshot();
    const raw = indexedDbPersistence({ name });
    expect((await raw.load()).journal).toEqual([]);
    await raw.close();
    const again = await open(name, 'h');
    expect(again.counts().pending).toBe(100);
    await Promise.all([store.close(), again.close()]);
  });

  it('a Worker terminated mid-stream loses nothing it reported durable and applies nothing twice', async () => {
    const name = uniqueName();
    names.push(name);
    const worker = new Worker(new URL('./fixtures/store-crash.worker.ts', import.meta.url));
    const reported: string[] = [];
    let lsn = 0;
    await new Promise<void>((resolve, reject) => {
      worker.onerror = (e) => reject(new Error(e.message));
      worker.onmessage = (e: MessageEvent<{ durable: string[]; lsn: number }>) => {
        reported.push(...e.data.durable);
        lsn = e.data.lsn;
        if (reported.length >= 150) resolve();
      };
      worker.postMessage({ name });
    });
    worker.terminate();
    const store = await open(name, 'check');
    const rows = store.query("SELECT change_id FROM local_changes WHERE origin = 'local'").map((r) => String(r['change_id']));
    for (const id of reported) expect(rows.filter((r) => r === id).length).withContext(id).toBe(1);
    expect(store.getLsn()).toBeGreaterThanOrEqual(lsn);
    const last = store.getLsn();
    expect(store.query("SELECT count(*) AS n FROM local_changes WHERE origin = 'server'")).toEqual([{ n: last }]);
    expect(store.errors.filter((e) => e.code !== ErrorCodes.JOURNAL_CORRUPT)).toEqual([]);
    await store.close();
  });

  it('deleteIndexedDbStore removes a closed store\'s data', async () => {
    const name = uniqueName();
    const a = await open(name, 'd');
    a.recordLocalChanges([insert('x', 'one')], 1);
    await a.close();
    await deleteIndexedDbStore(name);
    const b = await open(name, 'e');
    expect(todos(b)).toEqual([]);
    await b.close();
    await deleteIndexedDbStore(name);
  });
});
