/**
 * The pending / failed counts behind status$ are kept by triggers (store migration 3) instead of
 * a count(*) per read. Whatever the store does to local_changes (record, ack, echo, fail, retry,
 * discard, prune, a new server, a reopen that replays the journal), they equal a direct count.
 */
import { mulberry32 } from '../../lib/engine/random.js';
import { createMemoryMedium } from '../../lib/store/persistence.js';
import { MIGRATIONS, runMigrations } from '../../lib/store/migrations.js';
import { loadSqlJs } from '../../lib/store/sqljs.js';
import type { SqlJsStore } from '../../lib/store/index.js';
import { ids, insert, openMem, sc, update } from './helpers.js';

function direct(store: SqlJsStore): { pending: number; failed: number } {
  const [row] = store.query("SELECT (SELECT count(*) FROM local_changes WHERE status = 'pending') AS pending, (SELECT count(*) FROM local_changes WHERE status = 'failed') AS failed");
  return { pending: Number(row!['pending']), failed: Number(row!['failed']) };
}

describe('store counts (kept by triggers)', () => {
  it('equal a direct count after every kind of write, over a seeded random run with reopens', async () => {
    const medium = createMemoryMedium();
    const newId = ids('me'); // one id source across reopens
    let store = await openMem(medium, { newId });
    const rnd = mulberry32(20261202);
    let lsn = 0;
    let now = 1;
    const kinds = new Set<string>();
    for (let step = 0; step < 400; step++) {
      now += 10;
      const pick = Math.floor(rnd() * 9);
      const id = `t${Math.floor(rnd() * 12)}`;
      const pending = store.pendingChanges();
      const failed = store.failedChanges();
      if (pick <= 2) {
        store.recordLocalChanges([rnd() < 0.5 ? insert(id, `v${step}`) : update(id, { title: `u${step}` })], now);
        kinds.add('record');
      } else if (pick === 3 && pending.length > 0) {
        store.markSynced([{ change_id: pending[0]!.change_id, lsn: ++lsn }], now);
        store.setLsn(lsn);
        kinds.add('ack');
      } else if (pick === 4 && pending.length > 0) {
        store.markFailed(pending[pending.length - 1]!.change_id, 'rejected', 1, now, null);
        kinds.add('fail');
      } else if (pick === 5 && failed.length > 0) {
        if (rnd() < 0.5) store.retryFailed([failed[0]!.change_id], now);
        else store.discardFailed([failed[0]!.change_id]);
        kinds.add('retry/discard');
      } else if (pick === 6) {
        // A server batch: another client's change, and sometimes the echo of one of ours.
        const ours = pending[0];
        const prev = lsn;
        const changes = [sc(++lsn, `s${step}`, 'insert', id, { id, title: `s${step}`, done: 0 })];
        if (ours && rnd() < 0.5) changes.push({ ...sc(++lsn, ours.change_id, ours.op, ours.entity_id, ours.data), client_id: 'me' });
        store.applyServerBatch({ prev_lsn: prev, lsn, changes }, now);
        kinds.add('server batch');
      } else if (pick === 7) {
        store.pruneHistory(now - 50);
        kinds.add('prune');
      } else {
        await store.whenDurable();
        await store.close();
        store = await openMem(medium, { newId }); // snapshot + journal replay
        kinds.add('reopen');
      }
      expect(store.counts()).withContext(`step ${step}`).toEqual(direct(store));
    }
    store.resetForServer('another-server');
    expect(store.counts()).toEqual(direct(store));
    expect([...kinds].sort()).toEqual(['ack', 'fail', 'prune', 'record', 'reopen', 'retry/discard', 'server batch']);
    expect(direct(store).pending + direct(store).failed).toBeGreaterThan(0);
    await store.close();
  });

  it('a database made before migration 3 starts with its existing pending and failed rows counted', async () => {
    // A version-2 database as an older library left it: the store's tables, three local changes.
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    runMigrations(db, MIGRATIONS.slice(0, 2));
    for (const [seq, status] of [[1, 'pending'], [2, 'failed'], [3, 'pending'], [4, 'synced']] as const) {
      db.run(
        "INSERT INTO local_changes (seq, change_id, origin, entity, entity_id, op, data, status, created_at, updated_at) VALUES (?, ?, 'local', 'todos', ?, 'delete', NULL, ?, 1, 1)",
        [seq, `old${seq}`, `r${seq}`, status],
      );
    }
    const medium = createMemoryMedium();
    medium.snapshot = db.export();
    db.close();
    const store = await openMem(medium);
    expect(store.query("SELECT value FROM sync_state WHERE key = 'schema_version'")).toEqual([{ value: MIGRATIONS.length }]);
    expect(store.counts()).toEqual({ pending: 2, failed: 1 });
    expect(store.counts()).toEqual(direct(store));
    await store.close();
  });
});
