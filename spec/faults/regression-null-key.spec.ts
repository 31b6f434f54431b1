/**
 * Regression (found by the long-form client fuzz): an `update` whose data set the primary key to
 * null passed checkChange, so the decoder accepted such a server batch; applying it then failed
 * in SQLite (NOT NULL constraint) with an untyped error, every retry failed the same way, and the
 * downstream pipeline stayed stuck on it (no later batch ever applied). Fixed in
 * lib/protocol/schema-checks.ts: checkChange refuses a null key in an update (a typed SchemaError): a
 * plain decode rejects the frame; the client's transport keeps it (`keepUnfit`) and the store
 * quarantines the change (issue 14, regression-poison-batch.node.spec.ts), so the LSN moves on.
 */
import { isLeft } from 'fp-ts/lib/Either.js';
import { SchemaError } from '../../lib/errors.js';
import { checkChange, decodeServerFrame, parseSchema } from '../../lib/protocol/index.js';
import { openStore } from '../../lib/store/index.js';
import { TEST_SCHEMA } from '../support/schema.js';

const schema = parseSchema(TEST_SCHEMA);
const poison = { lsn: 1, change_id: 'p1', client_id: 'x', entity: 'notes', entity_id: 'n', op: 'update' as const, data: { id: null, rank: 1 } };

describe('regression: an update that sets the primary key to null', () => {
  it('is a SchemaError in checkChange', () => {
    expect(checkChange(schema, poison)).toEqual(jasmine.any(SchemaError));
  });

  it('makes the decoder reject the frame', () => {
    const decoded = decodeServerFrame(JSON.stringify({ type: 'server_changes', prev_lsn: 0, lsn: 1, changes: [poison] }), { schema });
    expect(isLeft(decoded)).toBeTrue();
  });

  it('is refused by the store with a typed error, LSN unchanged, also for a row that exists', async () => {
    const store = await openStore({ schema: TEST_SCHEMA });
    try {
      store.recordLocalChanges([{ op: 'insert', entity: 'notes', entity_id: 'n', data: { id: 'n', body: 'b', rank: 0 } }], 1);
      expect(() => store.applyServerBatch({ prev_lsn: 0, lsn: 1, changes: [poison] }, 2)).toThrowError(SchemaError);
      expect(() => store.recordLocalChanges([{ op: 'update', entity: 'notes', entity_id: 'n', data: { id: null } }], 3)).toThrowError(SchemaError);
      expect(store.getLsn()).toBe(0);
      expect(store.query('SELECT * FROM notes')).toEqual([{ id: 'n', body: 'b', rank: 0 }]);
    } finally {
      await store.close();
    }
  });
});
