import { isRight } from 'fp-ts/lib/Either.js';
import { parseSchema, checkChange, decodeServerFrame } from '../../lib/protocol/index.js';
import { SchemaError } from '../../lib/errors.js';
import { parseSchemaPlan } from '../../lib/schema/index.js';

const rich = {
  todos: {
    primaryKey: 'id',
    columns: {
      id: 'TEXT',
      title: { type: 'TEXT', notNull: true, default: "it's" },
      done: { type: 'BOOLEAN', notNull: true, default: false },
      tags: { type: 'JSON', default: ['a'] },
      photo: 'BLOB',
      rank: 'REAL',
    },
    indexes: { todos_by_done: { columns: ['done', 'title'] }, todos_title: { columns: ['title'], unique: true } },
  },
};

describe('schema declaration (rich form)', () => {
  it('normalises the short and the long form, defaults in wire form, indexes', () => {
    const s = parseSchema(rich);
    expect(s['todos']!.columns).toEqual({ id: 'TEXT', title: 'TEXT', done: 'BOOLEAN', tags: 'JSON', photo: 'BLOB', rank: 'REAL' });
    expect(s['todos']!.specs['title']).toEqual({ type: 'TEXT', notNull: true, default: "it's" });
    expect(s['todos']!.specs['done']).toEqual({ type: 'BOOLEAN', notNull: true, default: 0 });
    expect(s['todos']!.specs['tags']).toEqual({ type: 'JSON', notNull: false, default: '["a"]' });
    expect(s['todos']!.specs['id']).toEqual({ type: 'TEXT', notNull: true });
    expect(s['todos']!.indexes).toEqual({ todos_by_done: { columns: ['done', 'title'], unique: false }, todos_title: { columns: ['title'], unique: true } });
    expect(parseSchema(s)).toBe(s); // an already checked schema passes as it is
  });

  const errors: Array<[string, unknown, string, RegExp]> = [
    ['an unknown key in a table', { todos: { primaryKey: 'id', columns: { id: 'TEXT' }, index: {} } }, 'todos.index', /unexpected field "index"/],
    ['an unknown key in a column', { todos: { primaryKey: 'id', columns: { id: 'TEXT', done: { type: 'BOOLEAN', notnull: true } } } }, 'todos.columns.done.notnull', /unexpected field "notnull"/],
    ['an unknown key in an index', { todos: { primaryKey: 'id', columns: { id: 'TEXT' }, indexes: { ix: { columns: ['id'], uniq: true } } } }, 'todos.indexes.ix.uniq', /unexpected field/],
    ['an unknown type in the long form', { todos: { primaryKey: 'id', columns: { id: 'TEXT', n: { type: 'VARCHAR' } } } }, 'todos.columns.n.type', /invalid schema/],
    ['a default that does not fit', { todos: { primaryKey: 'id', columns: { id: 'TEXT', n: { type: 'INTEGER', default: 'x' } } } }, 'todos.columns.n.default', /default/],
    ['a boolean default that is not one', { todos: { primaryKey: 'id', columns: { id: 'TEXT', b: { type: 'BOOLEAN', default: 2 } } } }, 'todos.columns.b.default', /default/],
    ['a default on the key', { todos: { primaryKey: 'id', columns: { id: { type: 'TEXT', default: 'x' } } } }, 'todos.columns.id.default', /cannot have a default/],
    ['a JSON key', { todos: { primaryKey: 'id', columns: { id: 'JSON' } } }, 'todos.columns.id.type', /cannot be JSON/],
    ['an index on an unknown column', { todos: { primaryKey: 'id', columns: { id: 'TEXT' }, indexes: { ix: { columns: ['nope'] } } } }, 'todos.indexes.ix.columns.0', /not a column/],
    ['an index without columns', { todos: { primaryKey: 'id', columns: { id: 'TEXT' }, indexes: { ix: { columns: [] } } } }, 'todos.indexes.ix.columns', /1 to 16/],
    ['an index naming a column twice', { todos: { primaryKey: 'id', columns: { id: 'TEXT', a: 'TEXT' }, indexes: { ix: { columns: ['a', 'a'] } } } }, 'todos.indexes.ix.columns.1', /twice/],
    ['one index name in two tables', { a: { primaryKey: 'id', columns: { id: 'TEXT' }, indexes: { ix: { columns: ['id'] } } }, b: { primaryKey: 'id', columns: { id: 'TEXT' }, indexes: { ix: { columns: ['id'] } } } }, 'b.indexes.ix', /already used/],
    ['a store index name', { todos: { primaryKey: 'id', columns: { id: 'TEXT' }, indexes: { local_changes_x: { columns: ['id'] } } } }, 'todos.indexes.local_changes_x', /reserved/],
    ['a composite primary key', { todos: { primaryKey: ['a', 'b'], columns: { a: 'TEXT', b: 'TEXT' } } }, 'todos.primaryKey', /composite primary key: not supported.*unique index/],
    ['the scratch table name', { rsw_rebuild: { primaryKey: 'id', columns: { id: 'TEXT' } } }, 'rsw_rebuild', /reserved/],
  ];
  for (const [label, input, path, re] of errors) {
    it(`rejects ${label}, naming the path`, () => {
      let caught: unknown;
      try {
        parseSchema(input);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(SchemaError);
      expect((caught as SchemaError).path).toBe(path);
      expect((caught as SchemaError).message).toMatch(re);
    });
  }

  it('checks changes against the new types and NOT NULL', () => {
    const s = parseSchema(rich);
    const ins = (data: Record<string, unknown>) => checkChange(s, { entity: 'todos', entity_id: 'a', op: 'insert', data: { id: 'a', ...data } as never });
    expect(ins({ done: 1, tags: '{"x":[1]}', photo: 'AAEC' })).toBeNull();
    expect(ins({ done: 2 })?.path).toBe('data.done');
    expect(ins({ tags: '{not json' })?.path).toBe('data.tags');
    expect(ins({ photo: 'not base64!' })?.path).toBe('data.photo');
    expect(ins({ title: null })?.message).toMatch(/NOT NULL/);
    const strictNotNull = parseSchema({ t: { primaryKey: 'id', columns: { id: 'TEXT', must: { type: 'TEXT', notNull: true } } } });
    expect(checkChange(strictNotNull, { entity: 't', entity_id: 'a', op: 'insert', data: { id: 'a' } })?.path).toBe('data.must');
    expect(checkChange(strictNotNull, { entity: 't', entity_id: 'a', op: 'update', data: { must: null } })?.path).toBe('data.must');
  });
});

describe('schema version plan', () => {
  const s = parseSchema({ todos: { primaryKey: 'id', columns: { id: 'TEXT', p: { type: 'INTEGER', notNull: true } } } });
  const cases: Array<[string, unknown, unknown, string, RegExp]> = [
    ['a version that is not a positive integer', 0, [], 'schemaVersion', /positive integer/],
    ['an unknown step', 2, [{ version: 2, steps: [{ op: 'renameTable', table: 'todos' }] }], 'migrations.0.steps.0.op', /unknown step op "renameTable"/],
    ['an unknown key in a step', 2, [{ version: 2, steps: [{ op: 'dropIndex', index: 'x', table: 'todos' }] }], 'migrations.0.steps.0.table', /unexpected field "table"/],
    ['a gap in the versions', 3, [{ version: 2, steps: [] }, { version: 4, steps: [] }], 'migrations.1.version', /out of order/],
    ['a list that does not end at schemaVersion', 3, [{ version: 2, steps: [] }], 'schemaVersion', /schemaVersion is 3/],
    ['a step on an undeclared table', 2, [{ version: 2, steps: [{ op: 'addTable', table: 'nope' }] }], 'migrations.0.steps.0.table', /does not declare/],
    ['a NOT NULL column without default or backfill', 2, [{ version: 2, steps: [{ op: 'addColumn', table: 'todos', column: 'p' }] }], 'migrations.0.steps.0.backfill', /needs a backfill/],
  ];
  for (const [label, version, migrations, path, re] of cases) {
    it(`rejects ${label}, naming the path`, () => {
      expect(() => parseSchemaPlan(s, version, migrations)).toThrowMatching((e) => e instanceof SchemaError && e.path === path && re.test(e.message));
    });
  }
});

describe('server frames from a newer schema (decode with project)', () => {
  const v1 = parseSchema({ todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER' } } });
  const change = (lsn: number, entity: string, data: Record<string, unknown>) => ({ lsn, change_id: `c${lsn}`, client_id: 'x', entity, entity_id: 'a', op: 'insert', data });
  const frame = {
    type: 'server_changes', prev_lsn: 0, lsn: 3,
    changes: [change(1, 'todos', { id: 'a', title: 't', priority: 2 }), change(2, 'tags', { id: 'a' }), change(3, 'todos', { id: 'a', title: 5, done: 1 })],
  };
  it('leaves out unknown tables, unknown columns and values that no longer fit, and says what', () => {
    const heard: string[][] = [];
    const d = decodeServerFrame(JSON.stringify(frame), { schema: v1, project: (x) => heard.push(x) });
    expect(isRight(d)).toBeTrue();
    const f = isRight(d) ? (d.right as { changes: { lsn: number; data: unknown }[]; lsn: number }) : null;
    expect(f!.lsn).toBe(3);
    expect(f!.changes.map((c) => [c.lsn, c.data])).toEqual([[1, { id: 'a', title: 't' }], [3, { id: 'a', done: 1 }]]);
    expect(heard).toEqual([['todos.priority', 'tags', 'todos.title (value is not TEXT)']]);
  });
  it('without project (the strict default) the same frame is refused, naming the path', () => {
    const d = decodeServerFrame(JSON.stringify(frame), { schema: v1 });
    expect(isRight(d)).toBeFalse();
  });
  it('a frame with nothing unknown is passed as it is, unchanged', () => {
    const ok = { ...frame, lsn: 1, changes: [change(1, 'todos', { id: 'a', title: 't' })] };
    const heard: string[][] = [];
    const d = decodeServerFrame(ok, { schema: v1, project: (x) => heard.push(x) });
    expect(isRight(d) && d.right).toEqual(ok as never);
    expect(heard).toEqual([]);
  });
});
