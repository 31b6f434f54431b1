/** The server runs the same app migrations on its own tables (real server, SQLite file on disk). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { MigrationInput } from '../../lib/schema/index.js';
import { startSyncServer } from '../../server/index.js';
import { TestClient } from './helpers.js';

const V1 = { todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER', old: 'TEXT' } } };
const V2 = {
  todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'BOOLEAN', priority: { type: 'INTEGER', notNull: true, default: 0 } }, indexes: { todos_by_priority: { columns: ['priority'] } } },
};
const M: MigrationInput[] = [
  { version: 2, steps: [{ op: 'addColumn', table: 'todos', column: 'priority', backfill: 3 }, { op: 'addIndex', index: 'todos_by_priority' }, { op: 'dropColumn', table: 'todos', column: 'old' }, { op: 'changeType', table: 'todos', column: 'done' }] },
];

describe('server: app schema migrations', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsw-i15-srv-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('migrates its tables on start, keeps the log, serves v1 and v2 clients', async () => {
    const db = path.join(dir, 's.sqlite');
    const s1 = await startSyncServer({ host: '127.0.0.1', port: 0, db, schema: V1, logger: 'silent' });
    const { c } = await TestClient.handshake(s1.url, 'old');
    await c.change([{ change_id: 'c1', entity: 'todos', entity_id: 'a', op: 'insert', data: { id: 'a', title: 'A', done: 5, old: 'gone soon' } }]);
    c.ws.close();
    await s1.close();

    const s2 = await startSyncServer({ host: '127.0.0.1', port: 0, db, schema: V2, schemaVersion: 2, migrations: M, logger: 'silent' });
    expect(s2.lsn()).toBe(1);
    // A v1 client (no schema_version in hello: 1) still writes; the columns it does not know stay.
    const { c: old, welcome } = await TestClient.handshake(s2.url, 'old');
    expect(welcome.schema_version).toBe(2);
    const ack = await old.change([{ change_id: 'c2', entity: 'todos', entity_id: 'a', op: 'insert', data: { id: 'a', title: 'A2', done: 0 } }]);
    expect(ack.acks[0]).toEqual(jasmine.objectContaining({ status: 'applied', lsn: 2 }));
    old.ws.close();
    await s2.close();

    const raw = new Database(db, { readonly: true });
    try {
      expect(raw.prepare('SELECT * FROM todos').all()).toEqual([{ id: 'a', title: 'A2', done: 0, priority: 3 }]);
      expect(raw.prepare("SELECT value FROM server_meta WHERE key = 'app_schema_version'").pluck().get()).toBe('2');
      expect(raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'todos' AND name NOT LIKE 'sqlite_%'").pluck().all()).toEqual(['todos_by_priority']);
      // The logged insert of the v1 client carries the column it did not send, as the server kept it.
      expect(JSON.parse(raw.prepare('SELECT data FROM change_log WHERE lsn = 2').pluck().get() as string)).toEqual({ id: 'a', title: 'A2', done: 0, priority: 3 });
    } finally {
      raw.close();
    }
  });
});
