/**
 * The storage port, one suite written once and run against BOTH implementations (SQLite file,
 * real PostgreSQL): LSNs, per-change dedupe, rejection with the current row, pages by LSN
 * (row and byte bounds), current rows, the clients table, server_id and LSN across a reopen.
 */
import type { SyncStorage } from '../../../server/storage/types.js';
import { todo } from '../helpers.js';
import { BACKENDS, type Backend } from './backends.js';

for (const { name, make } of BACKENDS) {
  describe(`storage port (${name})`, () => {
    let backend: Backend;
    let store: SyncStorage;
    let clock = 1000;
    beforeEach(async () => {
      clock = 1000;
      backend = make();
      store = await backend.open({ now: () => clock, clientRetentionMs: 500 });
    });
    afterEach(async () => {
      await store.close();
      backend.cleanup();
    });

    it('says which backend it is and starts at LSN 0', () => {
      expect(store.backend).toBe(name);
      expect(store.lsn()).toBe(0);
      expect(store.serverId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('assigns LSNs 1..n in one transaction and dedupes by (client_id, change_id), also within a frame', async () => {
      const first = await store.applyChanges('c1', [todo('a', 't1', 'one'), todo('b', 't2', 'two'), todo('a', 't1', 'again')]);
      expect(first.prevLsn).toBe(0);
      expect(first.acks).toEqual([
        { change_id: 'a', status: 'applied', lsn: 1 },
        { change_id: 'b', status: 'applied', lsn: 2 },
        { change_id: 'a', status: 'duplicate', lsn: 1 },
      ]);
      expect(first.committed.map((c) => c.lsn)).toEqual([1, 2]);
      const again = await store.applyChanges('c1', [todo('b', 't2', 'resent')]);
      expect(again.acks).toEqual([{ change_id: 'b', status: 'duplicate', lsn: 2 }]);
      expect(again.committed).toEqual([]);
      // The same change_id from ANOTHER client is another change.
      const other = await store.applyChanges('c2', [todo('a', 't3', 'three')]);
      expect(other.acks).toEqual([{ change_id: 'a', status: 'applied', lsn: 3 }]);
      expect(store.lsn()).toBe(3);
      expect(await store.currentRow('todos', 't2')).toEqual({ id: 't2', title: 'two', done: 0 });
    });

    it('rejects a change that breaks the schema or a permission with the current row, and applies the rest', async () => {
      await store.applyChanges('c1', [todo('a', 't1', 'one')]);
      const out = await store.applyChanges(
        'c1',
        [
          { change_id: 'bad', entity: 'todos', entity_id: 't1', op: 'update', data: { nope: 1 } },
          { change_id: 'key', entity: 'counters', entity_id: 'abc', op: 'update', data: { label: 'x' } },
          { change_id: 'ok', entity: 'todos', entity_id: 't1', op: 'update', data: { done: 1 } },
          { change_id: 'no', entity: 'todos', entity_id: 't1', op: 'delete', data: null },
        ],
        (c) => (c.op === 'delete' ? 'no deletes' : null),
      );
      expect(out.acks.map((a) => a.status)).toEqual(['rejected', 'rejected', 'applied', 'rejected']);
      const bad = out.acks[0]!;
      expect(bad.status === 'rejected' && bad.row).toEqual({ id: 't1', title: 'one', done: 0 });
      expect(out.committed.map((c) => c.change_id)).toEqual(['ok']);
      expect(await store.currentRow('todos', 't1')).toEqual({ id: 't1', title: 'one', done: 1 });
      expect(store.lsn()).toBe(2);
    });

    it('refuses a change over maxChangeBytes (limit_exceeded), the frame goes on', async () => {
      await store.close();
      store = await backend.open({ maxChangeBytes: 100 });
      const out = await store.applyChanges('c1', [todo('big', 't1', 'x'.repeat(200)), todo('small', 't2', 'y')]);
      expect(out.acks[0]).toEqual(jasmine.objectContaining({ status: 'rejected', code: 'limit_exceeded' }));
      expect(out.acks[1]).toEqual({ change_id: 'small', status: 'applied', lsn: 1 });
    });

    it('reads the exact log by LSN past LSN 0, bounded by rows and by bytes, and says when it is complete', async () => {
      for (let i = 1; i <= 6; i++) await store.applyChanges('c1', [todo(`ch${i}`, `t${i}`, `title ${i}`)]);
      const p1 = await store.readPage(1, 2);
      expect(p1.lsn).toBe(3);
      expect(p1.complete).toBe(false);
      expect(p1.cursor).toBeUndefined();
      expect(p1.changesJson.map((j) => (JSON.parse(j) as { lsn: number }).lsn)).toEqual([2, 3]);
      expect(JSON.parse(p1.changesJson[0]!)).toEqual({ lsn: 2, change_id: 'ch2', client_id: 'c1', entity: 'todos', entity_id: 't2', op: 'insert', data: { id: 't2', title: 'title 2', done: 0 } });
      const rest = await store.readPage(3, 100);
      expect(rest.lsn).toBe(6);
      expect(rest.complete).toBe(true);
      const oneByte = await store.readPage(1, 100, 1); // always at least one change
      expect(oneByte.changesJson.length).toBe(1);
      expect(oneByte.complete).toBe(false);
      const empty = await store.readPage(6, 100);
      expect(empty).toEqual({ changesJson: [], lsn: 6, complete: true });
    });

    it('applies update (upsert of the given columns) and delete to the current rows', async () => {
      await store.applyChanges('c1', [{ change_id: 'u', entity: 'counters', entity_id: '7', op: 'update', data: { label: 'seven' } }]);
      expect(await store.currentRow('counters', '7')).toEqual({ n: 7, label: 'seven' });
      await store.applyChanges('c1', [{ change_id: 'd', entity: 'counters', entity_id: '7', op: 'delete', data: null }]);
      expect(await store.currentRow('counters', '7')).toBeNull();
      expect(await store.currentRow('nope', '7')).toBeNull();
    });

    it('keeps the clients table: ownership by subject, acked LSN never backwards, pruned by last_seen', async () => {
      expect(await store.clientSeen('dev1', 'alice')).toBe(true);
      expect(await store.clientSeen('dev1', 'bob')).toBe(false);
      expect(await store.clientSeen('dev1', null)).toBe(true);
      await store.clientAcked('dev1', 5);
      await store.clientAcked('dev1', 3);
      expect(await store.client('dev1')).toEqual({ client_id: 'dev1', acked_lsn: 5, last_seen: 1000 });
      clock = 1400;
      await store.clientSeen('dev2');
      clock = 1600; // dev1 last seen 1000, retention 500
      expect(await store.pruneClients()).toBe(1);
      expect(await store.client('dev1')).toBeNull();
      expect(await store.client('dev2')).not.toBeNull();
    });

    it('keeps server_id, the log and the dedupe across a reopen', async () => {
      await store.applyChanges('c1', [todo('a', 't1', 'one'), todo('b', 't2', 'two')]);
      const id = store.serverId;
      await store.close();
      store = await backend.open();
      expect(store.serverId).toBe(id);
      expect(store.lsn()).toBe(2);
      const out = await store.applyChanges('c1', [todo('b', 't2', 'resent'), todo('c', 't3', 'three')]);
      expect(out.acks).toEqual([
        { change_id: 'b', status: 'duplicate', lsn: 2 },
        { change_id: 'c', status: 'applied', lsn: 3 },
      ]);
    });
  });
}
