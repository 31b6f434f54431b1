/**
 * Regression (found by the network schedules): an `update` of a row the replica does not have
 * changed nothing locally, while the server creates the row (README of the server: "update writes
 * only the given columns and creates a missing row"). A concurrent delete + update, or an update
 * of a row not yet seen, left every replica without a row the server had. Fixed in
 * lib/store/entity-statements.ts: a patch is an upsert of the given columns, as on the server.
 */
import { openStore, type SqlJsStore } from '../../lib/store/index.js';
import { TEST_SCHEMA } from '../support/schema.js';

describe('regression: an update of a missing row creates it, as on the server', () => {
  let store: SqlJsStore;
  beforeEach(async () => {
    store = await openStore({ schema: TEST_SCHEMA });
  });
  afterEach(async () => {
    await store.close();
  });

  it('a local update of a row the replica does not have', () => {
    store.recordLocalChanges([{ op: 'update', entity: 'todos', entity_id: 'ghost', data: { done: 1 } }], 1);
    expect(store.query(`SELECT * FROM todos`)).toEqual([{ id: 'ghost', title: null, done: 1 }]);
  });

  it('a server update of a row deleted here first (delete and update raced on the server)', () => {
    store.applyServerBatch({ prev_lsn: 0, lsn: 1, changes: [{ lsn: 1, change_id: 's1', client_id: 'x', entity: 'notes', entity_id: 'n', op: 'insert', data: { id: 'n', body: 'b', rank: 1 } }] }, 1);
    store.applyServerBatch({ prev_lsn: 1, lsn: 2, changes: [{ lsn: 2, change_id: 's2', client_id: 'x', entity: 'notes', entity_id: 'n', op: 'delete', data: null }] }, 2);
    store.applyServerBatch({ prev_lsn: 2, lsn: 3, changes: [{ lsn: 3, change_id: 's3', client_id: 'y', entity: 'notes', entity_id: 'n', op: 'update', data: { rank: 2.5 } }] }, 3);
    expect(store.query(`SELECT * FROM notes`)).toEqual([{ id: 'n', body: null, rank: 2.5 }]);
  });

  it('a pending local update re-applied after a server delete of its row', () => {
    store.applyServerBatch({ prev_lsn: 0, lsn: 1, changes: [{ lsn: 1, change_id: 's1', client_id: 'x', entity: 'todos', entity_id: 't', op: 'insert', data: { id: 't', title: 'x', done: 0 } }] }, 1);
    store.recordLocalChanges([{ op: 'update', entity: 'todos', entity_id: 't', data: { done: 1 } }], 2);
    // Another client's delete arrives before our update reaches the server: the server will
    // apply our update after it and create the row with only `done`; the replica must match.
    store.applyServerBatch({ prev_lsn: 1, lsn: 2, changes: [{ lsn: 2, change_id: 's2', client_id: 'x', entity: 'todos', entity_id: 't', op: 'delete', data: null }] }, 3);
    expect(store.query(`SELECT * FROM todos`)).toEqual([{ id: 't', title: null, done: 1 }]);
  });
});
