/**
 * Snapshot first sync end to end, on BOTH backends: a real client (in-process host, sql.js, `ws`)
 * that starts at LSN 0 against a server whose rows were updated many times receives the CURRENT
 * rows (one change per live row, in several byte-bounded pages, catch-up progress in
 * `status.catchingUp`), then the live stream; its own pending local change made offline before
 * the first sync survives it and reaches the server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSyncClient, type SyncClient } from '../../../lib/index.js';
import { startSyncServer, type SyncServer } from '../../../server/index.js';
import { freshPgUrl } from '../../support/pg.js';
import { TEST_SCHEMA } from '../../support/schema.js';
import { waitFor } from '../../support/wait.js';
import { TestClient } from '../helpers.js';

const ROWS = 20;
const UPDATES = 30;

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`snapshot first sync end to end (${backend})`, () => {
    let server: SyncServer;
    let dir: string;
    const clients: SyncClient[] = [];
    beforeEach(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsw-first-sync-'));
      const db = backend === 'sqlite' ? path.join(dir, 'server.sqlite') : freshPgUrl();
      // Small pages (5 rows) so the snapshot takes several.
      server = await startSyncServer({ host: '127.0.0.1', port: 0, db, schema: TEST_SCHEMA, logger: 'silent', pageSize: 5 });
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('a fresh client gets the current rows, not the history, keeps its offline change, then follows live', async () => {
      const { c: writer } = await TestClient.handshake(server.url, 'writer');
      await writer.commit(Array.from({ length: ROWS }, (_, i) => ({ change_id: `i${i}`, entity: 'todos', entity_id: `t${i}`, op: 'insert' as const, data: { id: `t${i}`, title: 'v0', done: 0 } })));
      for (let u = 1; u <= UPDATES; u++) {
        await writer.commit(Array.from({ length: ROWS }, (_, i) => ({ change_id: `u${u}-${i}`, entity: 'todos', entity_id: `t${i}`, op: 'update' as const, data: { title: `v${u}` } })));
      }
      await writer.commit([{ change_id: 'gone', entity: 'todos', entity_id: 't0', op: 'delete', data: null }]);
      const history = ROWS * (UPDATES + 1) + 1;
      expect(server.lsn()).toBe(history);

      // Offline first: one pending local change in a file store, then the first sync.
      const file = path.join(dir, 'client.db');
      const offline = createSyncClient({ schema: TEST_SCHEMA, worker: false, storage: { file } });
      await offline.ready;
      await offline.insert('notes', { id: 'mine', body: 'made offline', rank: 1 });
      // An update of a row it does not have yet: on the server it becomes the row's LAST change, so
      // the snapshot brings the whole row with it (not taken for an echo: the title is another's).
      await offline.update('todos', 't5', { done: 1 });
      await offline.close();
      const b = createSyncClient({ url: server.url, schema: TEST_SCHEMA, worker: false, storage: { file }, backoff: { initialDelay: 10, maxDelay: 100 } });
      clients.push(b);
      const progress: number[] = [];
      const sub = b.status$.subscribe((s) => s.catchingUp && progress.push(s.catchingUp.done));
      await b.ready;
      await waitFor(b.status$, (s) => s.connection === 'synced' && s.lsn >= history && s.pending === 0, 'b synced', 20_000);
      sub.unsubscribe();
      const rows = await b.query<{ id: string; title: string }>('SELECT id, title FROM todos ORDER BY id');
      expect(rows.length).toBe(ROWS - 1);
      expect(rows.every((r) => r.title === `v${UPDATES}`)).toBeTrue();
      expect(await b.query("SELECT id, title, done FROM todos WHERE id = 't5'")).toEqual([{ id: 't5', title: `v${UPDATES}`, done: 1 }]);
      expect(rows.some((r) => r.id === 't0')).toBeFalse();
      // One server change per live row (and the tombstone), not the history, as the client counted them.
      const metrics = await waitFor(b.metrics$, (m) => m.changesApplied >= ROWS - 1, 'b counted what it applied');
      expect(metrics.changesApplied).toBeLessThanOrEqual(ROWS);
      // Snapshot entries are rows, not changes: they leave no history rows in local_changes.
      expect(await b.query("SELECT count(*) AS n FROM local_changes WHERE origin = 'server' AND entity = 'todos'")).toEqual([{ n: 0 }]);
      // Progress moved through the snapshot pages before the last one.
      expect(progress.some((p) => p > 0 && p < history)).toBeTrue();
      // The offline change reached the server and is still in the client.
      expect(await b.query('SELECT id, body FROM notes')).toEqual([{ id: 'mine', body: 'made offline' }]);
      const check = await TestClient.handshake(server.url, 'checker', { last_lsn: history });
      expect(check.welcome.server_lsn).toBe(history + 2);
      // Live after the snapshot (the writer saw b's change go by first).
      const theirs = [...(await writer.next('server_changes')).changes];
      if (theirs.length < 2) theirs.push(...(await writer.next('server_changes')).changes);
      expect(theirs.map((c) => c.entity_id).sort()).toEqual(['mine', 't5']);
      await writer.commit([{ change_id: 'live', entity: 'todos', entity_id: 't1', op: 'update', data: { title: 'live' } }]);
      await waitFor(b.query$<{ title: string }>("SELECT title FROM todos WHERE id = 't1'"), (r) => r[0]?.title === 'live', 'live change in b');
      await writer.close();
      await check.c.close();
    }, 60_000);
  });
}
