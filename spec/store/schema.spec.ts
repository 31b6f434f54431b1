import { ErrorCodes, SchemaError, StoreError } from '../../lib/errors.js';
import { loadSqlJs } from '../../lib/store/sqljs.js';
import { MIGRATIONS, runMigrations, schemaVersion, type Migration } from '../../lib/store/migrations.js';
import { createMemoryMedium } from '../../lib/store/persistence.js';
import { openMem, sc, SCHEMA } from './helpers.js';


describe('store schema', () => {
  it('creates the declared entity tables (clustered for a TEXT key), local_changes with its indexes, and sync_state', async () => {
    const store = await openMem();
    const tables = store.query("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name");
    expect(tables.map((t) => t['name'])).toEqual(['local_changes', 'local_changes_counts', 'notes', 'quarantined_changes', 'sync_state', 'todos']);
    expect(String(tables.find((t) => t['name'] === 'todos')!['sql'])).toContain('WITHOUT ROWID');
    const indexes = store.query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'local_changes' AND sql IS NOT NULL ORDER BY name");
    expect(indexes.map((i) => i['name'])).toEqual(['local_changes_change_id', 'local_changes_entity', 'local_changes_failed', 'local_changes_lsn', 'local_changes_pending']);
    expect(store.query("SELECT value FROM sync_state WHERE key = 'schema_version'")).toEqual([{ value: MIGRATIONS.length }]);
    await store.close();
  });

  it('refuses hostile table and column names in the declaration', async () => {
    for (const bad of [
      { 'todos"; DROP TABLE x; --': { primaryKey: 'id', columns: { id: 'TEXT' } } },
      { todos: { primaryKey: 'id', columns: { id: 'TEXT', 'a b': 'TEXT' } } },
      { sqlite_master: { primaryKey: 'id', columns: { id: 'TEXT' } } },
      { local_changes: { primaryKey: 'id', columns: { id: 'TEXT' } } },
      { todos: { primaryKey: 'id', columns: { id: 'TEXT); DROP TABLE t; --' } } },
    ]) {
      await expectAsync(openMem(createMemoryMedium(), { schema: bad })).toBeRejectedWith(jasmine.any(SchemaError));
    }
  });

  it('refuses server changes that name an undeclared table or column, and writes nothing', async () => {
    const store = await openMem();
    const hostile = [
      { ...sc(1, 's1', 'insert', 'a', { id: 'a' }), entity: 'sqlite_master' },
      { ...sc(1, 's1', 'insert', 'a', { id: 'a' }), entity: 'todos"--' },
      sc(1, 's1', 'insert', 'a', { id: 'a', 'title" = 1; --': 'x' }),
      sc(1, 's1', 'update', 'a', { secret: 1 }),
    ];
    for (const change of hostile) {
      expect(() => store.applyServerBatch({ prev_lsn: 0, lsn: 1, changes: [change] }, 1)).toThrowError(SchemaError);
    }
    expect(store.getLsn()).toBe(0);
    expect(store.query('SELECT count(*) AS n FROM local_changes')).toEqual([{ n: 0 }]);
    await store.close();
  });

  it('adds a column declared later to an existing table, keeping its rows', async () => {
    const medium = createMemoryMedium();
    const a = await openMem(medium);
    a.recordLocalChanges([{ op: 'insert', entity: 'todos', entity_id: 'x', data: { id: 'x', title: 't', done: 0 } }], 1);
    await a.close();
    const wider = { ...SCHEMA, todos: { primaryKey: 'id', columns: { ...SCHEMA.todos.columns, due: 'INTEGER' } } };
    const b = await openMem(medium, { schema: wider });
    expect(b.query('SELECT id, title, due FROM todos')).toEqual([{ id: 'x', title: 't', due: null }]);
    await b.close();
  });
});

describe('store migrations', () => {
  const n = MIGRATIONS.length;
  const step2: Migration = { version: n + 1, description: 'extra table', sql: ['CREATE TABLE extra (k TEXT)'] };
  const broken: Migration = { version: n + 2, description: 'fails', sql: ['CREATE TABLE more (k TEXT)', 'THIS IS NOT SQL'] };

  it('moves schema_version forward through every pending migration', async () => {
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    expect(schemaVersion(db)).toBe(0);
    expect(runMigrations(db, [...MIGRATIONS, step2])).toBe(n + 1);
    expect(schemaVersion(db)).toBe(n + 1);
    expect(runMigrations(db, [...MIGRATIONS, step2])).toBe(0);
    db.close();
  });

  it('runs pending migrations in one transaction: a failure leaves the previous version and no half-made tables', async () => {
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    runMigrations(db, MIGRATIONS);
    expect(() => runMigrations(db, [...MIGRATIONS, step2, broken])).toThrowError(StoreError, new RegExp(`migration ${n + 2} failed`));
    expect(schemaVersion(db)).toBe(n);
    expect(db.exec("SELECT name FROM sqlite_master WHERE name IN ('extra', 'more')")).toEqual([]);
    db.close();
  });

  it('refuses a database newer than the code, and out-of-order migration lists', async () => {
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    runMigrations(db, [...MIGRATIONS, step2]);
    expect(() => runMigrations(db, MIGRATIONS)).toThrowError(StoreError, /newer/);
    const db2 = new SQL.Database();
    expect(() => runMigrations(db2, [{ ...step2, version: 2 }])).toThrowError(StoreError, /out of order/);
    db.close();
    db2.close();
  });

  it('opening applies a new migration to a stored database and snapshots it', async () => {
    const medium = createMemoryMedium();
    await (await openMem(medium)).close();
    const store = await openMem(medium, { migrations: [...MIGRATIONS, step2] });
    expect(store.query("SELECT value FROM sync_state WHERE key = 'schema_version'")).toEqual([{ value: n + 1 }]);
    expect(store.query("SELECT name FROM sqlite_master WHERE name = 'extra'").length).toBe(1);
    expect(medium.journal.length).toBe(0);
    expect(store.errors.map((e) => e.code)).not.toContain(ErrorCodes.JOURNAL_CORRUPT);
    await store.close();
  });
});
