/**
 * Server changes written in runs of multi-row statements (lib/store/server-rows.ts) must leave the
 * replica exactly as one statement per change, in order, would: checked against a plain model of
 * the tables on random batches (few keys, so one run often names a key twice; long enough to span
 * several multi-row statements), live and after a reopen that replays the journal.
 */
import fc from 'fast-check';
import type { Row, ServerChange } from '../../lib/protocol/index.js';
import { createMemoryMedium } from '../../lib/store/persistence.js';
import { ids, openMem } from './helpers.js';

type Model = { todos: Map<string, Record<string, unknown>>; notes: Map<string, Record<string, unknown>> };

/** One statement per change, as SQL would run it: the reference. */
function applyModel(m: Model, c: ServerChange): void {
  const table = m[c.entity as keyof Model];
  const pk = c.entity === 'todos' ? 'id' : 'n';
  const columns = c.entity === 'todos' ? ['id', 'title', 'done'] : ['n', 'body'];
  const key = c.entity_id;
  if (c.op === 'delete') table.delete(key);
  else if (c.op === 'insert') table.set(key, Object.fromEntries(columns.map((col) => [col, c.data![col] ?? null])));
  else {
    const row = table.get(key) ?? Object.fromEntries(columns.map((col) => [col, col === pk ? c.data![pk] ?? (c.entity === 'notes' ? Number(key) : key) : null]));
    table.set(key, { ...row, ...c.data });
  }
}

const todo = fc.record({
  entity: fc.constant('todos' as const),
  id: fc.constantFrom('a', 'b', 'c', 'd'),
  op: fc.constantFrom('insert', 'insert', 'insert', 'update', 'delete') as fc.Arbitrary<ServerChange['op']>,
  title: fc.option(fc.string({ maxLength: 6 }), { nil: null }),
  done: fc.option(fc.integer({ min: 0, max: 1 }), { nil: null }),
  partial: fc.boolean(),
});
const note = fc.record({
  entity: fc.constant('notes' as const),
  id: fc.constantFrom('1', '2', '3'),
  op: fc.constantFrom('insert', 'insert', 'update', 'delete') as fc.Arbitrary<ServerChange['op']>,
  body: fc.option(fc.string({ maxLength: 6 }), { nil: null }),
});
/** A batch of changes, mostly runs of one table (as a snapshot page or a bulk write sends them). */
const batch = fc.array(fc.tuple(fc.oneof(todo, note), fc.integer({ min: 1, max: 40 })), { minLength: 1, maxLength: 8 }).map((runs) => {
  const out: ServerChange[] = [];
  for (const [c, times] of runs) {
    for (let k = 0; k < times; k++) {
      const lsn = out.length + 1;
      const base = { lsn, change_id: `s${lsn}`, client_id: 'other', entity_id: c.id, op: c.op };
      if (c.entity === 'todos') {
        const data: Row | null = c.op === 'delete' ? null : c.op === 'update' && c.partial ? { title: `${c.title ?? ''}${k}` } : { id: c.id, title: c.title === null ? null : `${c.title}${k}`, done: c.done };
        out.push({ ...base, entity: 'todos', data });
      } else {
        const data: Row | null = c.op === 'delete' ? null : c.op === 'update' ? { body: `${c.body ?? ''}${k}` } : { n: Number(c.id), body: c.body };
        out.push({ ...base, entity: 'notes', data });
      }
    }
  }
  return out;
});

describe('store: server changes in multi-row statements', () => {
  it('leave the tables and local_changes exactly as one statement per change would, live and after a replay', async () => {
    await fc.assert(
      fc.asyncProperty(batch, async (changes) => {
        const medium = createMemoryMedium();
        const store = await openMem(medium, { schema: { todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER' } }, notes: { primaryKey: 'n', columns: { n: 'INTEGER', body: 'TEXT' } } } });
        const model: Model = { todos: new Map(), notes: new Map() };
        for (const c of changes) applyModel(model, c);
        store.applyServerBatch({ prev_lsn: 0, lsn: changes.length, changes }, 7);
        const expected = {
          todos: [...model.todos.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, r]) => r),
          notes: [...model.notes.entries()].sort(([a], [b]) => Number(a) - Number(b)).map(([, r]) => r),
          history: changes.map((c, i) => ({ seq: i + 1, change_id: c.change_id, lsn: c.lsn, entity_id: c.entity_id, op: c.op })),
        };
        const read = (s: typeof store) => ({
          todos: s.query('SELECT id, title, done FROM todos ORDER BY id'),
          notes: s.query('SELECT n, body FROM notes ORDER BY n'),
          history: s.query("SELECT seq, change_id, lsn, entity_id, op FROM local_changes WHERE origin = 'server' ORDER BY seq"),
        });
        expect(read(store)).toEqual(expected);
        await store.whenDurable();
        const again = await openMem(medium, { newId: ids('re'), schema: store.schema });
        expect(read(again)).toEqual(expected);
        // Seqs go on after the replayed rows.
        expect(again.recordLocalChanges([{ op: 'insert', entity: 'todos', entity_id: 'z', data: { id: 'z', title: 't', done: 0 } }], 8)[0]!.seq).toBe(changes.length + 1);
        await again.close();
        await store.close();
      }),
      { numRuns: 60, seed: 20261203 },
    );
  });

  it('a local write of many changes (runs of inserts in multi-row upserts) leaves the tables as one statement per change would, live and after a replay', async () => {
    await fc.assert(
      fc.asyncProperty(batch, async (changes) => {
        const medium = createMemoryMedium();
        const store = await openMem(medium, { schema: { todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER' } }, notes: { primaryKey: 'n', columns: { n: 'INTEGER', body: 'TEXT' } } } });
        const model: Model = { todos: new Map(), notes: new Map() };
        for (const c of changes) applyModel(model, c);
        store.recordLocalChanges(changes.map(({ op, entity, entity_id, data }) => ({ op, entity, entity_id, data })), 7);
        const expected = {
          todos: [...model.todos.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, r]) => r),
          notes: [...model.notes.entries()].sort(([a], [b]) => Number(a) - Number(b)).map(([, r]) => r),
          history: changes.map((c, i) => ({ seq: i + 1, change_id: `me-${i + 1}`, entity_id: c.entity_id, op: c.op, status: 'pending' })),
        };
        const read = (s: typeof store) => ({
          todos: s.query('SELECT id, title, done FROM todos ORDER BY id'),
          notes: s.query('SELECT n, body FROM notes ORDER BY n'),
          history: s.query("SELECT seq, change_id, entity_id, op, status FROM local_changes WHERE origin = 'local' ORDER BY seq"),
        });
        expect(read(store)).toEqual(expected);
        expect(store.counts()).toEqual({ pending: changes.length, failed: 0 });
        await store.whenDurable();
        const again = await openMem(medium, { newId: ids('re'), schema: store.schema });
        expect(read(again)).toEqual(expected);
        await again.close();
        await store.close();
      }),
      { numRuns: 40, seed: 20261204 },
    );
  });
});
