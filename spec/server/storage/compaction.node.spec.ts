/**
 * Compaction on BOTH backends: history older than the retention is deleted, the horizon moves,
 * a reader behind it gets the snapshot path (current rows, tombstones for deleted rows: no error,
 * no gap), a reader at or past it the exact log; unseen client ids are pruned. End to end: a real
 * client offline past the horizon, with a pending local change, comes back to exactly the
 * server's rows and keeps (and delivers) its change.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSyncClient } from '../../../lib/index.js';
import type { ServerChange } from '../../../lib/protocol/index.js';
import { startSyncServer } from '../../../server/index.js';
import type { SyncStorage } from '../../../server/storage/types.js';
import { freshPgUrl } from '../../support/pg.js';
import { TEST_SCHEMA } from '../../support/schema.js';
import { waitFor } from '../../support/wait.js';
import { TestClient, todo } from '../helpers.js';
import { BACKENDS, type Backend } from './backends.js';

for (const { name, make } of BACKENDS) {
  describe(`compaction (${name})`, () => {
    let backend: Backend;
    let store: SyncStorage;
    let clock = 0;
    beforeEach(async () => {
      clock = 0;
      backend = make();
      store = await backend.open({ now: () => clock, clientRetentionMs: 5000 });
    });
    afterEach(async () => {
      await store.close();
      backend.cleanup();
    });

    it('deletes history older than the retention; behind the horizon a snapshot, past it the exact log; prunes unseen clients', async () => {
      await store.clientSeen('old-device');
      for (let i = 1; i <= 10; i++) await store.applyChanges('w', [todo(`a${i}`, `r${i % 4}`, `old ${i}`)]);
      await store.applyChanges('w', [{ change_id: 'del', entity: 'todos', entity_id: 'r3', op: 'delete', data: null }]);
      clock = 10_000;
      await store.clientSeen('new-device');
      for (let i = 1; i <= 3; i++) await store.applyChanges('w', [{ change_id: `n${i}`, entity: 'todos', entity_id: 'r1', op: 'update', data: { done: i } }]);
      expect(store.horizon()).toBe(0);
      const out = await store.compact(5000); // keep the last 5 s: LSN 1..11 go
      expect(out).toEqual({ horizon: 11, removed: 11, clientsPruned: 1 });
      expect(store.horizon()).toBe(11);
      expect(await store.client('old-device')).toBeNull();
      expect(await store.client('new-device')).not.toBeNull();
      expect(store.lsn()).toBe(14);
      // Behind the horizon: the snapshot (current rows since LSN 5, with r3's tombstone).
      const behind = await store.readPage(5, 100);
      const rows = behind.changesJson.map((j) => JSON.parse(j) as ServerChange);
      expect(rows.map((c) => [c.entity_id, c.op])).toEqual([['r0', 'insert'], ['r2', 'insert'], ['r3', 'delete'], ['r1', 'insert']]);
      expect(rows[3]!.data).toEqual({ id: 'r1', title: 'old 9', done: 3 });
      expect([behind.lsn, behind.complete]).toEqual([14, true]);
      // At the horizon and past it: the exact log.
      const at = await store.readPage(11, 100);
      expect(at.changesJson.map((j) => (JSON.parse(j) as ServerChange).change_id)).toEqual(['n1', 'n2', 'n3']);
      // Compacting again keeps the last change (the log's LSN stays) and never moves back.
      clock = 1e9;
      expect((await store.compact(5000)).horizon).toBe(13);
      expect(store.lsn()).toBe(14);
      expect((await store.applyChanges('w', [todo('later', 'r9', 'x')])).acks[0]).toEqual({ change_id: 'later', status: 'applied', lsn: 15 });
      // The horizon survives a reopen.
      await store.close();
      store = await backend.open({ now: () => clock });
      expect(store.horizon()).toBe(13);
      expect(store.lsn()).toBe(15);
    });
  });

  describe(`compaction end to end (${name})`, () => {
    it('a client offline past the horizon comes back to exactly the server rows and keeps its pending change', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsw-compaction-'));
      let clock = 1_000_000;
      const db = name === 'sqlite' ? path.join(dir, 'server.sqlite') : freshPgUrl();
      const server = await startSyncServer({ host: '127.0.0.1', port: 0, db, schema: TEST_SCHEMA, logger: 'silent', now: () => clock, historyRetentionMs: 60_000, compactEveryMs: 0 });
      const file = path.join(dir, 'client.db');
      try {
        const { c: writer } = await TestClient.handshake(server.url, 'writer');
        await writer.commit(['a', 'b', 'c', 'd'].map((id) => todo(`i-${id}`, id, `v0 ${id}`)));
        let client = createSyncClient({ url: server.url, schema: TEST_SCHEMA, worker: false, storage: { file }, backoff: { initialDelay: 10, maxDelay: 50 } });
        await waitFor(client.status$, (s) => s.connection === 'synced' && s.lsn === 4, 'client synced');
        await client.close();
        // While it is away: updates, a delete, time passes, the history goes.
        await writer.commit([{ change_id: 'u-a', entity: 'todos', entity_id: 'a', op: 'update', data: { title: 'v1 a' } }]);
        await writer.commit([{ change_id: 'd-b', entity: 'todos', entity_id: 'b', op: 'delete', data: null }]);
        clock += 120_000;
        await writer.commit([{ change_id: 'u-c', entity: 'todos', entity_id: 'c', op: 'update', data: { done: 1 } }]);
        expect((await server.compact()).horizon).toBe(6);
        // Offline, it changed a row too.
        const offline = createSyncClient({ schema: TEST_SCHEMA, worker: false, storage: { file } });
        await offline.ready;
        await offline.update('todos', 'd', { title: 'mine, offline' });
        await offline.close();
        client = createSyncClient({ url: server.url, schema: TEST_SCHEMA, worker: false, storage: { file }, backoff: { initialDelay: 10, maxDelay: 50 } });
        await waitFor(client.status$, (s) => s.connection === 'synced' && s.pending === 0 && s.lsn >= 8, 'back and synced', 20_000);
        expect(await client.query('SELECT id, title, done FROM todos ORDER BY id')).toEqual([
          { id: 'a', title: 'v1 a', done: 0 },
          { id: 'c', title: 'v0 c', done: 1 },
          { id: 'd', title: 'mine, offline', done: 0 },
        ]);
        expect(server.lsn()).toBe(8);
        await client.close();
        await writer.close();
      } finally {
        await server.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
  });
}
