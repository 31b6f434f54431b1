import { SchemaError } from '../../lib/errors.js';
import { recordWrites } from '../../lib/store/record-writes.js';
import { createMemoryMedium } from '../../lib/store/persistence.js';
import { WriteBatcher } from '../../lib/worker/write-batcher.js';
import { insert, openMem, todos } from './helpers.js';

describe('store: writes of one turn recorded together', () => {
  it('share one transaction when all are good: each gets its own rows, in order', async () => {
    const store = await openMem();
    const spy = spyOn(store, 'recordLocalChanges').and.callThrough();
    const out = recordWrites(store, [[insert('a', 'A')], [insert('b', 'B'), insert('c', 'C')], [insert('d', 'D')]], 5);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(out.map((o) => ('rows' in o ? o.rows.map((r) => [r.seq, r.entity_id]) : 'error'))).toEqual([[[1, 'a']], [[2, 'b'], [3, 'c']], [[4, 'd']]]);
    expect(todos(store).map((r) => r.id)).toEqual(['a', 'b', 'c', 'd']);
    await store.close();
  });

  it('a refused write fails alone and writes nothing; the others are recorded', async () => {
    const store = await openMem();
    const bad = { op: 'insert' as const, entity: 'todos', entity_id: 'x', data: { id: 'x', nope: 1 } };
    const out = recordWrites(store, [[insert('a', 'A')], [insert('b', 'B'), bad], [insert('c', 'C')]], 5);
    expect('rows' in out[0]! && out[0].rows.length).toBe(1);
    expect('error' in out[1]! && out[1].error).toEqual(jasmine.any(SchemaError));
    expect('rows' in out[2]! && out[2].rows.length).toBe(1);
    expect(todos(store).map((r) => r.id)).toEqual(['a', 'c']);
    expect(store.counts()).toEqual({ pending: 2, failed: 0 });
    await store.close();
  });

  it('a write re-sent in the same turn (same fixed change_ids) is recorded once and answered twice', async () => {
    const store = await openMem(createMemoryMedium());
    const fixed = [{ ...insert('a', 'A'), change_id: 'tab-1' }];
    const out = recordWrites(store, [fixed, [insert('b', 'B')], fixed], 5);
    expect(out.map((o) => ('rows' in o ? [o.again, o.rows.map((r) => r.change_id.replace(/^me-\d+$/, 'me-*'))] : 'error'))).toEqual([[false, ['tab-1']], [false, ['me-*']], [true, ['tab-1']]]);
    expect(store.query("SELECT count(*) AS n FROM local_changes WHERE change_id = 'tab-1'")).toEqual([{ n: 1 }]);
    await store.close();
  });

  it('the batcher hands every write queued in one turn to ONE record call, and settles each in order', async () => {
    const calls: number[] = [];
    const batcher = new WriteBatcher((writes) => {
      calls.push(writes.length);
      return writes.map((w) => (w[0]!.entity_id === 'bad' ? { error: new Error('no') } : { rows: [], again: false }));
    });
    const settled: string[] = [];
    const all = ['a', 'bad', 'c'].map((id) => batcher.add([insert(id, id)]).then((o) => settled.push(`${id}:${'error' in o ? 'error' : 'ok'}`)));
    await Promise.all(all);
    await batcher.add([insert('later', 'x')]);
    expect(calls).toEqual([3, 1]);
    expect(settled).toEqual(['a:ok', 'bad:error', 'c:ok']);
  });
});
