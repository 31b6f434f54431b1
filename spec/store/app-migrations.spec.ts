/**
 * App schema versions and migrations on the real sql.js store: each migration kind, journal
 * written before the migration, a failing migration, a crash before the migrated database is
 * durable. (Browser-safe: memory media, reopened to simulate a restart.)
 */
import { StoreError, SchemaError } from '../../lib/errors.js';
import type { MigrationInput } from '../../lib/schema/index.js';
import { openStore } from '../../lib/store/index.js';
import { createMemoryMedium, memoryPersistence, type MemoryMedium, type Persistence } from '../../lib/store/persistence.js';
import type { SqlJsStore } from '../../lib/store/store.js';
import { ids } from './helpers.js';

const V1 = { todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER', rank: 'TEXT', legacy: 'TEXT' }, indexes: { todos_legacy: { columns: ['legacy'] } } } };
const V2 = {
  todos: {
    primaryKey: 'id',
    columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER', rank: 'TEXT', legacy: 'TEXT', priority: { type: 'INTEGER', notNull: true, default: 0 }, owner: { type: 'TEXT', notNull: true } },
    indexes: { todos_legacy: { columns: ['legacy'] }, todos_by_priority: { columns: ['priority', 'title'] } },
  },
  tags: { primaryKey: 'id', columns: { id: 'TEXT', label: { type: 'TEXT', notNull: true, default: '' } }, indexes: { tags_label: { columns: ['label'], unique: true } } },
};
const V3 = {
  todos: {
    primaryKey: 'id',
    columns: { id: 'TEXT', title: 'TEXT', done: 'BOOLEAN', rank: 'INTEGER', priority: { type: 'INTEGER', notNull: true, default: 0 }, owner: { type: 'TEXT', notNull: true } },
    indexes: { todos_by_priority: { columns: ['priority', 'title'] } },
  },
  tags: V2.tags,
};
const M2: MigrationInput = {
  version: 2,
  steps: [
    { op: 'addColumn', table: 'todos', column: 'priority', backfill: 1 },
    { op: 'addColumn', table: 'todos', column: 'owner', backfill: 'nobody' }, // NOT NULL, no default: a table copy
    { op: 'addIndex', index: 'todos_by_priority' },
    { op: 'addTable', table: 'tags' },
  ],
};
const M3: MigrationInput = {
  version: 3,
  steps: [
    { op: 'dropIndex', index: 'todos_legacy' },
    { op: 'dropColumn', table: 'todos', column: 'legacy' },
    { op: 'changeType', table: 'todos', column: 'done' },
    { op: 'changeType', table: 'todos', column: 'rank' },
  ],
};

let opens = 0;
const open = (medium: MemoryMedium, schema: object, schemaVersion?: number, appMigrations?: MigrationInput[], persistence?: Persistence) =>
  openStore({ schema, persistence: persistence ?? memoryPersistence(medium), clientId: 'me', newId: ids(`me${++opens}`), ...(schemaVersion !== undefined && { schemaVersion }), ...(appMigrations && { appMigrations }) });
const rows = (s: SqlJsStore, sql = 'SELECT * FROM todos ORDER BY id') => s.query(sql);
const indexes = (s: SqlJsStore) => s.query("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'local_changes%' AND name NOT LIKE 'sqlite_%' ORDER BY name").map((r) => r['name']);
const version = (s: SqlJsStore) => s.query("SELECT value FROM sync_state WHERE key = 'app_schema_version'")[0]?.['value'];

/** v1 data: one row only in the snapshot, two more only in the journal (the store is dropped, never closed). */
async function v1Medium(): Promise<MemoryMedium> {
  const medium = createMemoryMedium();
  const s = await open(medium, V1);
  s.recordLocalChanges([{ op: 'insert', entity: 'todos', entity_id: 'a', data: { id: 'a', title: 'A', done: 1, rank: '5', legacy: 'x' } }], 1);
  await s.snapshot();
  s.recordLocalChanges([{ op: 'insert', entity: 'todos', entity_id: 'b', data: { id: 'b', title: 'B', done: 2, rank: 'high', legacy: 'y' } }], 2);
  s.recordLocalChanges([{ op: 'update', entity: 'todos', entity_id: 'a', data: { legacy: 'changed before the upgrade' } }], 3);
  await s.whenDurable();
  expect(medium.journal.length).toBeGreaterThan(0);
  return medium;
}

describe('app schema migrations (sql.js store)', () => {
  it('a new database is created at the declared version without running migrations', async () => {
    const s = await open(createMemoryMedium(), V3, 3, [M2, M3]);
    expect(version(s)).toBe(3);
    expect(indexes(s)).toEqual(['tags_label', 'todos_by_priority']);
    await s.close();
  });

  it('v1 -> v2: add column with default / backfill, NOT NULL column by table copy, add index, add table; the journal is replayed first', async () => {
    const medium = await v1Medium();
    const s = await open(medium, V2, 2, [M2]);
    expect(rows(s)).toEqual([
      { id: 'a', title: 'A', done: 1, rank: '5', legacy: 'changed before the upgrade', priority: 1, owner: 'nobody' },
      { id: 'b', title: 'B', done: 2, rank: 'high', legacy: 'y', priority: 1, owner: 'nobody' },
    ]);
    expect(version(s)).toBe(2);
    expect(indexes(s)).toEqual(['tags_label', 'todos_by_priority', 'todos_legacy']);
    // New rows: the default; the journal now follows the new shape.
    s.recordLocalChanges([{ op: 'insert', entity: 'todos', entity_id: 'c', data: { id: 'c', title: 'C', done: 0, owner: 'me' } }], 4);
    await s.whenDurable();
    const again = await open(medium, V2, 2, [M2]); // reopen (the first is dropped: a crash)
    expect(rows(again, "SELECT priority, owner FROM todos WHERE id = 'c'")).toEqual([{ priority: 0, owner: 'me' }]);
    await again.close();
  });

  it('v1 -> v3 in one open: drop index, drop column, change types by copying the table', async () => {
    const medium = await v1Medium();
    const s = await open(medium, V3, 3, [M2, M3]);
    expect(rows(s)).toEqual([
      { id: 'a', title: 'A', done: 1, rank: 5, priority: 1, owner: 'nobody' },
      { id: 'b', title: 'B', done: 1, rank: 0, priority: 1, owner: 'nobody' },
    ]);
    expect(rows(s, "SELECT type FROM pragma_table_info('todos') WHERE name IN ('done', 'rank') ORDER BY name")).toEqual([{ type: 'BOOLEAN INTEGER' }, { type: 'INTEGER' }]);
    expect(indexes(s)).toEqual(['tags_label', 'todos_by_priority']);
    expect(version(s)).toBe(3);
    await s.close();
    // v2 -> v3 on a database that already ran M2 gives the same table.
    const m2 = await v1Medium();
    await (await open(m2, V2, 2, [M2])).close();
    const s3 = await open(m2, V3, 3, [M2, M3]);
    expect(rows(s3)).toEqual(rows(await open(await v1Medium(), V3, 3, [M2, M3])));
    await s3.close();
  });

  it('a migration that fails leaves the database exactly as it was (one transaction), and says which step', async () => {
    const medium = await v1Medium();
    const dupes = { ...V2, todos: { ...V2.todos, indexes: { ...V2.todos.indexes, todos_unique_priority: { columns: ['priority'], unique: true } } } };
    const bad: MigrationInput = { version: 2, steps: [...M2.steps, { op: 'addIndex', index: 'todos_unique_priority' }] };
    await expectAsync(open(medium, dupes, 2, [bad])).toBeRejectedWith(jasmine.objectContaining({ code: 'store_error', message: jasmine.stringMatching(/migration 2, step 4 \(addIndex\) failed/) }));
    // The old app still opens it, at v1, with every row (the journal too).
    const old = await open(medium, V1);
    expect(version(old)).toBe(1);
    expect(rows(old, 'SELECT id, legacy FROM todos ORDER BY id')).toEqual([{ id: 'a', legacy: 'changed before the upgrade' }, { id: 'b', legacy: 'y' }]);
    expect(rows(old, "SELECT name FROM sqlite_master WHERE name = 'tags'")).toEqual([]);
    await old.close();
    // The fixed app migrates it.
    const fixed = await open(medium, V2, 2, [M2]);
    expect(version(fixed)).toBe(2);
    await fixed.close();
  });

  it('a crash before the migrated database is durable: the next open migrates again from the old data', async () => {
    const medium = await v1Medium();
    const before = { snapshot: medium.snapshot, journal: [...medium.journal] };
    // The process dies while the migrated snapshot is being written: it never lands.
    const dying: Persistence = { ...memoryPersistence(medium), replaceSnapshot: () => new Promise<void>(() => undefined) };
    let opened = false;
    void open(medium, V2, 2, [M2], dying).then(() => (opened = true));
    await new Promise((r) => setTimeout(r, 50)); // let it run up to the (never ending) snapshot write
    expect(opened).toBeFalse();
    expect(medium.snapshot).toBe(before.snapshot);
    expect(medium.journal).toEqual(before.journal);
    const s = await open(medium, V2, 2, [M2]);
    expect(version(s)).toBe(2);
    expect(rows(s, 'SELECT id, legacy, priority FROM todos ORDER BY id')).toEqual([
      { id: 'a', legacy: 'changed before the upgrade', priority: 1 },
      { id: 'b', legacy: 'y', priority: 1 },
    ]);
    await s.close();
  });

  it('copyTable: a key change and a new NOT NULL / default on an existing column', async () => {
    const medium = createMemoryMedium();
    const K1 = { items: { primaryKey: 'id', columns: { id: 'TEXT', code: 'TEXT', label: 'TEXT' } } };
    const K2 = { items: { primaryKey: 'code', columns: { id: 'TEXT', code: 'TEXT', label: { type: 'TEXT', notNull: true, default: '-' } } } };
    const s1 = await open(medium, K1);
    s1.recordLocalChanges([{ op: 'insert', entity: 'items', entity_id: 'a', data: { id: 'a', code: 'X1', label: 'first' } }], 1);
    await s1.close();
    await expectAsync(open(medium, K2)).toBeRejectedWith(jasmine.objectContaining({ message: jasmine.stringMatching(/copyTable/) }));
    const s2 = await open(medium, K2, 2, [{ version: 2, steps: [{ op: 'copyTable', table: 'items' }] }]);
    expect(rows(s2, "SELECT name, pk, \"notnull\", dflt_value FROM pragma_table_info('items') ORDER BY cid")).toEqual([
      { name: 'id', pk: 0, notnull: 0, dflt_value: null },
      { name: 'code', pk: 1, notnull: 1, dflt_value: null },
      { name: 'label', pk: 0, notnull: 1, dflt_value: "'-'" },
    ]);
    expect(rows(s2, 'SELECT * FROM items')).toEqual([{ id: 'a', code: 'X1', label: 'first' }]);
    s2.recordLocalChanges([{ op: 'insert', entity: 'items', entity_id: 'X2', data: { id: 'b', code: 'X2' } }], 2);
    expect(rows(s2, "SELECT label FROM items WHERE code = 'X2'")).toEqual([{ label: '-' }]);
    await s2.close();
  });

  it('refuses what only a migration can do, and a database newer than the app', async () => {
    const medium = await v1Medium();
    const typeChanged = { todos: { ...V1.todos, columns: { ...V1.todos.columns, done: 'BOOLEAN' } } };
    await expectAsync(open(medium, typeChanged)).toBeRejectedWith(jasmine.objectContaining({ code: 'schema_error', message: jasmine.stringMatching(/changeType/) }));
    const notNull = { todos: { ...V1.todos, columns: { ...V1.todos.columns, must: { type: 'TEXT', notNull: true } } } };
    await expectAsync(open(medium, notNull)).toBeRejectedWith(jasmine.objectContaining({ message: jasmine.stringMatching(/backfill/) }));
    await (await open(medium, V2, 2, [M2])).close();
    await expectAsync(open(medium, V1)).toBeRejectedWith(jasmine.objectContaining({ message: jasmine.stringMatching(/version 2, newer than this app's 1/) }));
    expect(StoreError).toBeDefined();
    expect(SchemaError).toBeDefined();
  });
});
