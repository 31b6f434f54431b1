import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { checkChange, decodeServerFrame, isIdentifier, parseSchema, quoteIdent } from '../../lib/protocol/index.js';
import { SchemaError } from '../../lib/errors.js';

const schema = parseSchema({
  todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER', score: 'REAL', extra: 'NUMERIC' } },
  notes: { primaryKey: 'n', columns: { n: 'INTEGER', body: 'TEXT' } },
});
const base = { change_id: 'c1', entity: 'todos', entity_id: 'a', op: 'insert' as const, data: { id: 'a', title: 't', done: 0 } };

describe('schema declaration', () => {
  it('accepts a good schema', () => {
    expect(Object.keys(schema)).toEqual(['todos', 'notes']);
  });
  const bad: Array<[string, unknown, RegExp]> = [
    ['no tables', {}, /no tables/],
    ['a hostile table name', { 'todos"; DROP TABLE todos; --': { primaryKey: 'id', columns: { id: 'TEXT' } } }, /invalid schema/],
    ['a hostile column name', { todos: { primaryKey: 'id', columns: { id: 'TEXT', 'a b': 'TEXT' } } }, /invalid schema/],
    ['an unknown column type', { todos: { primaryKey: 'id', columns: { id: 'VARCHAR' } } }, /invalid schema/],
    ['a primary key that is not a column', { todos: { primaryKey: 'key', columns: { id: 'TEXT' } } }, /primary key "key"/],
    ['a reserved table', { local_changes: { primaryKey: 'id', columns: { id: 'TEXT' } } }, /reserved/],
    ['an sqlite_ table', { sqlite_master: { primaryKey: 'id', columns: { id: 'TEXT' } } }, /invalid schema/],
    ['a __proto__ column', JSON.parse('{"todos":{"primaryKey":"id","columns":{"id":"TEXT","__proto__":"TEXT"}}}'), /invalid schema/],
    ['not an object', 'todos', /invalid schema/],
  ];
  for (const [label, input, re] of bad) {
    it(`rejects ${label}`, () => {
      expect(() => parseSchema(input)).toThrowMatching((e) => e instanceof SchemaError && re.test(e.message));
    });
  }
  it('checks identifiers with a strict pattern and quotes only those', () => {
    for (const ok of ['todos', '_x', 'A1_b']) expect(isIdentifier(ok)).withContext(ok).toBeTrue();
    for (const no of ['', '1a', 'a-b', 'a"b', 'x'.repeat(65), 'constructor', '__proto__', 'sqlite_seq', 'a;', 'é']) {
      expect(isIdentifier(no)).withContext(no).toBeFalse();
      expect(() => quoteIdent(no)).toThrowError(RangeError);
    }
    expect(quoteIdent('todos')).toBe('"todos"');
  });
});

describe('checkChange', () => {
  it('accepts a good insert, update and delete', () => {
    expect(checkChange(schema, base)).toBeNull();
    expect(checkChange(schema, { ...base, op: 'update', data: { done: 1 } })).toBeNull();
    expect(checkChange(schema, { ...base, op: 'delete', data: null })).toBeNull();
    expect(checkChange(schema, { ...base, entity: 'notes', entity_id: '5', data: { n: 5, body: null } })).toBeNull();
  });
  const bad: Array<[string, object, string]> = [
    ['an unknown table', { entity: 'users' }, 'entity'],
    ['an SQL-injection table', { entity: 'todos"; DROP TABLE todos; --' }, 'entity'],
    ['an unknown column', { data: { id: 'a', owner: 'x' } }, 'data.owner'],
    ['an SQL-injection column', { data: { id: 'a', 'title" = 1; --': 'x' } }, 'data.title" = 1; --'],
    ['text in an INTEGER column', { data: { id: 'a', done: 'yes' } }, 'data.done'],
    ['a fraction in an INTEGER column', { data: { id: 'a', done: 0.5 } }, 'data.done'],
    ['a number in a TEXT column', { data: { id: 'a', title: 5 } }, 'data.title'],
    ['an insert without primary key', { data: { title: 'x' } }, 'data.id'],
    ['a primary key that disagrees with entity_id', { data: { id: 'b' } }, 'data.id'],
    ['a delete with data', { op: 'delete' }, 'data'],
    ['an update without data', { op: 'update', data: null }, 'data'],
  ];
  for (const [label, patch, path] of bad) {
    it(`rejects ${label}`, () => {
      const e = checkChange(schema, { ...base, ...patch } as typeof base);
      expect(e).toBeInstanceOf(SchemaError);
      expect(e?.path).toBe(path);
      expect(e?.change_id).toBe('c1');
    });
  }
  it('rejects a server frame naming a table or column outside the schema when decoding with the schema', () => {
    const sc = { lsn: 1, change_id: 'c', client_id: 'x', entity: 'todos', entity_id: 'a', op: 'insert', data: { id: 'a' } };
    const ok = { type: 'server_changes', prev_lsn: 0, lsn: 1, changes: [sc] };
    expect(isRight(decodeServerFrame(ok, { schema }))).toBeTrue();
    const badTable = decodeServerFrame({ ...ok, changes: [{ ...sc, entity: 'users' }] }, { schema });
    expect(isLeft(badTable) && badTable.left.path).toBe('changes.0.entity');
    const badColumn = decodeServerFrame({ type: 'sync_response', from_lsn: 0, lsn: 1, complete: true, changes: [{ ...sc, data: { id: 'a', evil: 1 } }] }, { schema });
    expect(isLeft(badColumn) && badColumn.left.path).toBe('changes.0.data.evil');
  });
});
