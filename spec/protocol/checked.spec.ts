import { checkChangesOnce } from '../../lib/protocol/checked.js';
import { decodeServerFrame } from '../../lib/protocol/decode.js';
import { parseSchema, type ServerChange } from '../../lib/protocol/index.js';

const declaration = { todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT' } } };

describe('protocol: a server change is checked against the schema once', () => {
  it('the decoder remembers a list of changes that all fit its schema; other lists, and other schemas, are checked again', () => {
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
    const mixed = decoded.right.changes;
    expect(kept).toEqual(['b']);
    // A list with a change that did not fit is checked again (the store quarantines that change).
    expect(checkChangesOnce(schema, mixed)?.message).toContain('nope');
    const good = decodeServerFrame(frame.replace('"nope":1', '"title":"u"'), { schema });
    if (good._tag !== 'Right' || good.right.type !== 'server_changes') throw new Error('frame did not decode');
    const fit = good.right.changes as ServerChange[];
    // Not checked again under the decoder's schema (shown by breaking it afterwards, which no code does)...
    (fit[1]!.data as Record<string, unknown>).nope = 1;
    expect(checkChangesOnce(schema, fit)).toBeNull();
    // ...but under another schema object, and as another list (a trimmed batch), it is.
    expect(checkChangesOnce(other, fit)?.message).toContain('nope');
    expect(checkChangesOnce(schema, fit.slice(1))?.message).toContain('nope');
  });
});
