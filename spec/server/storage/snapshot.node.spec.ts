/**
 * Snapshot first sync through the storage port, on BOTH backends: a `sync_request` from LSN 0 is
 * answered from the compacted log (the current rows whose last change is after `from`, each an
 * insert of the whole row, a deleted row a delete), in LSN order, byte-bounded, and each page is
 * one consistent read: applying the pages in order gives the current rows, however the rows
 * change between pages. Its size grows with the live rows, not the history.
 */
import type { ServerChange } from '../../../lib/protocol/index.js';
import type { SyncStorage } from '../../../server/storage/types.js';
import { todo } from '../helpers.js';
import { BACKENDS, type Backend } from './backends.js';

type Replica = Map<string, Record<string, unknown>>;

/** Apply pages from `from` to the end into `replica`, `between` runs after each page; returns the pages' changes. */
async function follow(store: SyncStorage, replica: Replica, limit: number, maxBytes = Infinity, between: (n: number) => Promise<void> = async () => undefined): Promise<ServerChange[][]> {
  const pages: ServerChange[][] = [];
  let cursor: number | undefined;
  for (;;) {
    const page = await store.readPage(0, limit, maxBytes, cursor);
    const changes = page.changesJson.map((j) => JSON.parse(j) as ServerChange);
    for (const c of changes) {
      expect(c.lsn).toBeGreaterThan(cursor ?? 0);
      expect(['insert', 'delete']).toContain(c.op);
      if (c.op === 'delete') replica.delete(`${c.entity}/${c.entity_id}`);
      else replica.set(`${c.entity}/${c.entity_id}`, c.data!);
    }
    pages.push(changes);
    if (page.complete) {
      expect(page.cursor).toBeUndefined();
      expect(page.lsn).toBe(store.lsn());
      return pages;
    }
    // Not the last page: the client's LSN stays (0), the cursor says where the snapshot goes on.
    expect(page.lsn).toBe(0);
    expect(page.cursor).toBe(changes[changes.length - 1]!.lsn);
    cursor = page.cursor;
    await between(pages.length);
  }
}

for (const { name, make } of BACKENDS) {
  describe(`storage port (${name}): snapshot first sync`, () => {
    let backend: Backend;
    let store: SyncStorage;
    beforeEach(async () => {
      backend = make();
      store = await backend.open();
    });
    afterEach(async () => {
      await store.close();
      backend.cleanup();
    });

    it('from LSN 0 sends the current rows once each (inserts of the whole row, tombstones for deletes), not the history', async () => {
      await store.applyChanges('w', [todo('i1', 'a', 'a0'), todo('i2', 'b', 'b0'), todo('i3', 'c', 'c0')]);
      for (let i = 0; i < 50; i++) {
        await store.applyChanges('w', [
          { change_id: `ua${i}`, entity: 'todos', entity_id: 'a', op: 'update', data: { title: `a${i}` } },
          { change_id: `ub${i}`, entity: 'todos', entity_id: 'b', op: 'update', data: { done: i % 2 } },
        ]);
      }
      await store.applyChanges('w', [{ change_id: 'dc', entity: 'todos', entity_id: 'c', op: 'delete', data: null }]);
      expect(store.lsn()).toBe(104);
      const page = await store.readPage(0, 1000);
      expect(page.complete).toBe(true);
      expect(page.lsn).toBe(104);
      expect(page.changesJson.map((j) => JSON.parse(j) as ServerChange)).toEqual([
        { lsn: 102, change_id: 'ua49', client_id: 'rsw:snapshot', entity: 'todos', entity_id: 'a', op: 'insert', data: { id: 'a', title: 'a49', done: 0 } },
        { lsn: 103, change_id: 'ub49', client_id: 'rsw:snapshot', entity: 'todos', entity_id: 'b', op: 'insert', data: { id: 'b', title: 'b0', done: 1 } },
        { lsn: 104, change_id: 'dc', client_id: 'rsw:snapshot', entity: 'todos', entity_id: 'c', op: 'delete', data: null },
      ]);
      // Past LSN 0 (and not behind a horizon) a client still gets the exact history.
      const history = await store.readPage(1, 5);
      expect(history.changesJson.map((j) => (JSON.parse(j) as ServerChange).change_id)).toEqual(['i2', 'i3', 'ua0', 'ub0', 'ua1']);
    });

    it("puts the requester's own changes right before their rows, as themselves (echoes, not pending changes to re-apply)", async () => {
      await store.applyChanges('other', [todo('o1', 'r1', 'theirs')]);
      await store.applyChanges('me', [{ change_id: 'm1', entity: 'todos', entity_id: 'r1', op: 'update', data: { done: 1 } }, todo('m2', 'r2', 'mine')]);
      await store.applyChanges('other', [{ change_id: 'o2', entity: 'todos', entity_id: 'r1', op: 'update', data: { title: 'newer' } }]);
      const page = await store.readPage(0, 100, Infinity, undefined, 'me');
      expect(page.changesJson.map((j) => JSON.parse(j) as ServerChange).map((c) => [c.lsn, c.change_id, c.client_id, c.op, c.data])).toEqual([
        [3, 'm2', 'me', 'insert', { id: 'r2', title: 'mine', done: 0 }],
        [3, 'm2', 'rsw:snapshot', 'insert', { id: 'r2', title: 'mine', done: 0 }],
        [2, 'm1', 'me', 'update', { done: 1 }],
        [4, 'o2', 'rsw:snapshot', 'insert', { id: 'r1', title: 'newer', done: 1 }],
      ]);
      expect(page.lsn).toBe(4);
      // Another requester gets the rows only.
      expect((await store.readPage(0, 100, Infinity, undefined, 'someone')).changesJson.length).toBe(2);
    });

    it('pages are byte-bounded and each one consistent: rows changing between pages still end as the current rows', async () => {
      for (let i = 0; i < 30; i++) await store.applyChanges('w', [todo(`i${i}`, `r${i}`, 'x'.repeat(100))]);
      const replica: Replica = new Map();
      let k = 0;
      const pages = await follow(store, replica, 1000, 600, async () => {
        // Between the first pages: change a row already sent, a row not sent yet, delete one, add one.
        if (k === 3) return;
        k++;
        await store.applyChanges('w', [
          { change_id: `u${k}`, entity: 'todos', entity_id: 'r0', op: 'update', data: { title: `sent ${k}` } },
          { change_id: `v${k}`, entity: 'todos', entity_id: 'r29', op: 'update', data: { done: k } },
          { change_id: `d${k}`, entity: 'todos', entity_id: `r${k}`, op: 'delete', data: null },
          todo(`n${k}`, `new${k}`, 'fresh'),
        ]);
      });
      expect(pages.length).toBeGreaterThan(3);
      for (const p of pages) expect(p.map((c) => JSON.stringify(c).length + 1).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(600);
      const current: Replica = new Map();
      for (const key of replica.keys()) {
        const [entity, id] = key.split('/') as [string, string];
        const row = await store.currentRow(entity, id);
        if (row) current.set(key, row);
      }
      expect(current.size).toBe(replica.size);
      expect(replica).toEqual(current);
      // And nothing current is missing from the replica.
      for (let i = 0; i < 30; i++) expect(replica.has(`todos/r${i}`)).toBe((await store.currentRow('todos', `r${i}`)) !== null);
      for (let n = 1; n <= k; n++) expect(replica.get(`todos/new${n}`)).toEqual({ id: `new${n}`, title: 'fresh', done: 0 });
    });

    it('pages of many rows of two tables (read in growing chunks on PostgreSQL) send every current row once, in LSN order', async () => {
      const frame = Array.from({ length: 700 }, (_, i) =>
        i % 3 === 0 ? { change_id: `c${i}`, entity: 'counters', entity_id: String(i), op: 'insert' as const, data: { n: i, label: `n${i}` } } : todo(`t${i}`, `r${i}`, `row ${i}`),
      );
      await store.applyChanges('w', frame);
      await store.applyChanges('w', [{ change_id: 'gone', entity: 'todos', entity_id: 'r500', op: 'delete', data: null }]);
      // 30 kB pages: cut by bytes after a few hundred rows, in a chunk after the first ones.
      const pages = await follow(store, new Map(), 600, 30_000);
      const sent = pages.flat();
      expect(pages.length).toBeGreaterThan(2);
      expect(sent.map((c) => c.lsn)).toEqual([...sent.map((c) => c.lsn)].sort((x, y) => x - y));
      expect(new Set(sent.map((c) => `${c.entity}/${c.entity_id}`)).size).toBe(700);
      expect(sent.filter((c) => c.op === 'delete').map((c) => c.entity_id)).toEqual(['r500']);
      expect(sent.find((c) => c.entity === 'counters' && c.entity_id === '699')?.data).toEqual({ n: 699, label: 'n699' });
      expect(sent.find((c) => c.entity === 'todos' && c.entity_id === 'r698')?.data).toEqual({ id: 'r698', title: 'row 698', done: 0 });
    });
  });
}
