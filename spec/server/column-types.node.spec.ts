/**
 * Every column type from the app through the real server to another client (in-process hosts,
 * `ws`, real sockets, SQLite file on disk), and how each is stored on both ends.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createSyncClient, type SyncClient } from '../../lib/index.js';
import { startSyncServer, type SyncServer } from '../../server/index.js';
import { waitFor } from '../support/wait.js';

const SCHEMA = {
  items: {
    primaryKey: 'id',
    columns: {
      id: 'TEXT',
      title: { type: 'TEXT', notNull: true, default: 'untitled' },
      done: { type: 'BOOLEAN', notNull: true, default: false },
      meta: 'JSON',
      photo: 'BLOB',
      qty: 'INTEGER',
      price: 'REAL',
    },
    indexes: { items_by_done: { columns: ['done', 'qty'] }, items_title: { columns: ['title'], unique: true } },
  },
} as const;

interface Item { id: string; title: string; done: boolean; meta: unknown; photo: Uint8Array | null; qty: number | null; price: number | null }

describe('column types end to end (real server, real sockets)', () => {
  let dir: string;
  let server: SyncServer;
  const clients: SyncClient[] = [];
  const open = () => {
    const c = createSyncClient({ url: server.url, schema: SCHEMA, worker: false, storage: 'memory', backoff: { initialDelay: 10, maxDelay: 50 } });
    clients.push(c);
    return c;
  };
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsw-i15-types-'));
    server = await startSyncServer({ host: '127.0.0.1', port: 0, db: path.join(dir, 'server.sqlite'), schema: SCHEMA, logger: 'silent' });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('BOOLEAN, JSON, BLOB, defaults and indexes round-trip from one app to another', async () => {
    const a = open();
    const b = open();
    await Promise.all([a.ready, b.ready]);
    const bytes = new Uint8Array([0, 1, 2, 127, 128, 254, 255]);
    const meta = { tags: ['x', 'y'], nested: { n: 1.5, ok: true, none: null }, text: 'é "quoted"' };
    await a.insert('items', { id: 'i1', title: 'first', done: true, meta, photo: bytes, qty: 3, price: 9.5 });
    await a.insert('items', { id: 'i2' }); // every other column: its default, or NULL
    await a.insert('items', { id: 'i3', title: 'third', meta: [1, 'two', [3]], done: false });
    const rows = await waitFor(b.query$<Item>('SELECT * FROM items ORDER BY id'), (r) => r.length === 3, 'b has the rows');
    expect(rows[0]).toEqual({ id: 'i1', title: 'first', done: true, meta, photo: bytes, qty: 3, price: 9.5 });
    expect(rows[0]!.photo).toBeInstanceOf(Uint8Array);
    expect(rows[1]).toEqual({ id: 'i2', title: 'untitled', done: false, meta: null, photo: null, qty: null, price: null });
    expect(rows[2]!.meta).toEqual([1, 'two', [3]]);
    expect(rows[2]!.done).toBeFalse();
    // An update of the new types travels too.
    await b.update('items', 'i1', { done: false, photo: new Uint8Array([9]), meta: 'just a string' });
    const after = await waitFor(a.query$<Item>("SELECT done, photo, meta FROM items WHERE id = 'i1'"), (r) => r[0]?.done === false, 'a sees the update');
    expect(after[0]).toEqual({ done: false, photo: new Uint8Array([9]), meta: 'just a string' } as never);
    // A boolean parameter binds as the 0 / 1 a BOOLEAN column stores.
    expect(await b.query<{ id: string }>('SELECT id FROM items WHERE done = ? ORDER BY id', [false])).toEqual([{ id: 'i1' }, { id: 'i2' }, { id: 'i3' }]);
    // The declared indexes exist on the client.
    const indexes = await b.query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items' AND name NOT LIKE 'sqlite_%' ORDER BY name");
    expect(indexes.map((r) => r.name)).toEqual(['items_by_done', 'items_title']);
    // pendingChanges() gives app values too.
    await a.disconnect();
    await a.insert('items', { id: 'i4', title: 'offline', done: true, photo: new Uint8Array([1, 2]) });
    const pending = await a.pendingChanges();
    expect(pending[0]!.data).toEqual(jasmine.objectContaining({ done: true, photo: new Uint8Array([1, 2]) }) as never);
    await waitFor(b.status$, (s) => s.pending === 0, 'b acked');

    // On the server: BLOB as bytes, BOOLEAN 0/1, JSON as text, the indexes, the defaults.
    await server.close();
    const db = new Database(path.join(dir, 'server.sqlite'), { readonly: true });
    try {
      const row = db.prepare("SELECT title, done, meta, photo, typeof(photo) AS kind FROM items WHERE id = 'i1'").get() as Record<string, unknown>;
      expect(row).toEqual({ title: 'first', done: 0, meta: '"just a string"', photo: Buffer.from([9]), kind: 'blob' });
      expect(db.prepare("SELECT title, done FROM items WHERE id = 'i2'").get()).toEqual({ title: 'untitled', done: 0 });
      const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
      expect(names).toEqual(['items_by_done', 'items_title']);
    } finally {
      db.close();
    }
  });

  it('refuses app values that do not fit, at once and naming the column', async () => {
    const a = open();
    await a.ready;
    await expectAsync(a.insert('items', { id: 'x', done: 'yes' as never })).toBeRejectedWithError(/items\.done.*boolean/);
    await expectAsync(a.insert('items', { id: 'x', photo: 'text' as never })).toBeRejectedWithError(/items\.photo.*Uint8Array/);
    await expectAsync(a.insert('items', { id: 'x', title: null })).toBeRejectedWithError(/NOT NULL/);
    expect(await a.query('SELECT * FROM items')).toEqual([]);
  });
});
