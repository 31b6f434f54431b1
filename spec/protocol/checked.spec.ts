import { checkChangeOnce } from '../../lib/protocol/checked.js';
import { decodeServerFrame } from '../../lib/protocol/decode.js';
import { parseSchema, type ServerChange } from '../../lib/protocol/index.js';

const declaration = { todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT' } } };

describe('protocol: a server change is checked against the schema once', () => {
  it('the decoder remembers the changes that fit its schema; others, and other schemas, are checked again', () => {
    const schema = parseSchema(declaration);
    const other = parseSchema({ ...declaration });
    const frame = JSON.stringify({
      type: 'server_changes', prev_lsn: 0, lsn: 2,
      changes: [
        { lsn: 1, change_id: 'a', client_id: 'c', entity: 'todos', entity_id: 'x', op: 'insert', data: { id: 'x', title: 't' } },
        { lsn: 2, change_id: 'b', client_id: 'c', entity: 'todos', entity_id: 'y', op: 'insert', data: { id: 'y', nope: 1 } },
      ],
    });
    const kept: string[] = [];
    const decoded = decodeServerFrame(frame, { schema, keepUnfit: (e) => kept.push(e.change_id ?? '') });
    if (decoded._tag !== 'Right' || decoded.right.type !== 'server_changes') throw new Error('frame did not decode');
    const [fit, unfit] = decoded.right.changes as [ServerChange, ServerChange];
    expect(kept).toEqual(['b']);
    // Not checked again under the decoder's schema (shown by breaking it afterwards, which no code does)...
    (fit.data as Record<string, unknown>).nope = 1;
    expect(checkChangeOnce(schema, fit)).toBeNull();
    // ...but under another schema object, and a change that did not fit, are.
    expect(checkChangeOnce(other, fit)?.message).toContain('nope');
    expect(checkChangeOnce(schema, unfit)?.message).toContain('nope');
  });
});
