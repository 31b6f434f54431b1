/** The owner epoch on real IndexedDB: two engines on one database, the older one stops writing. */
import { ErrorCodes, type SyncError } from '../../lib/errors.js';
import { openStore } from '../../lib/store/index.js';
import { indexedDbPersistence } from '../../lib/store/indexeddb.js';
import { ids, insert, SCHEMA, todos } from './helpers.js';

let counter = 0;
const open = (name: string, prefix: string) => openStore({ schema: SCHEMA, persistence: indexedDbPersistence({ name }), newId: ids(prefix) });

describe('IndexedDB owner epoch (real IndexedDB)', () => {
  it('the second open wins: the first engine gets store_taken_over, the client_id is the database one', async () => {
    const name = `rsw-owner-spec-${Date.now()}-${++counter}`;
    const a = await open(name, 'a');
    a.recordLocalChanges([insert('x', 'one')], 1);
    await a.whenDurable();
    const b = await open(name, 'b');
    expect(b.ownerEpoch()).toBe(a.ownerEpoch() + 1);
    // One client_id per database: the second engine did not make its own.
    expect(b.clientId()).toBe(a.clientId());
    a.recordLocalChanges([insert('y', 'refused')], 2);
    const refused = await a.whenDurable().then(() => null, (e: SyncError) => e);
    expect(refused?.code).toBe(ErrorCodes.STORE_TAKEN_OVER);
    b.recordLocalChanges([insert('z', 'kept')], 3);
    await b.whenDurable();
    await b.close();
    const c = await open(name, 'c');
    expect(todos(c).map((r) => r.id)).toEqual(['x', 'z']);
    await c.close();
    indexedDB.deleteDatabase(name);
  });
});
