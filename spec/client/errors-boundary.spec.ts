/**
 * Errors across the worker boundary: an error's JSON form (what the worker posts) comes back as
 * the same subclass with the same code, message and context (lib/errors.ts `fromSerialized`).
 */
import {
  ChangeRejectedError, ErrorCodes, PersistenceError, ProtocolError, SchemaError, StoreError, SyncError, fromSerialized,
} from '../../lib/errors.js';

describe('fromSerialized', () => {
  it('rebuilds every subclass with its code, message and context', () => {
    const ctx = { change_id: 'c1', lsn: 7, entity: 'todos', path: 'changes.0.data', attempt: 2 };
    const errors: SyncError[] = [
      new ProtocolError('p', ctx),
      new SchemaError('s', ctx),
      new StoreError('st', ctx),
      new ChangeRejectedError('r', ctx),
      new PersistenceError(ErrorCodes.JOURNAL_CORRUPT, 'j', ctx),
      new SyncError(ErrorCodes.ACK_TIMEOUT, 'a', ctx),
    ];
    for (const original of errors) {
      const back = fromSerialized(original.toJSON());
      expect(back).withContext(original.name).toBeInstanceOf(original.constructor as new (...a: never[]) => SyncError);
      expect(back.toJSON()).withContext(original.name).toEqual(original.toJSON());
    }
  });

  it('keeps the code it was sent with, and an unknown name is a plain SyncError', () => {
    const odd = fromSerialized({ name: 'SchemaError', code: ErrorCodes.SCHEMA_OUTDATED, message: 'm' });
    expect(odd).toBeInstanceOf(SchemaError);
    expect(odd.code).toBe(ErrorCodes.SCHEMA_OUTDATED);
    const unknown = fromSerialized({ name: 'toString', code: ErrorCodes.INTERNAL, message: 'm' });
    expect(unknown.constructor).toBe(SyncError);
    expect(unknown.name).toBe('toString');
    const persistence = fromSerialized({ name: 'PersistenceError', code: ErrorCodes.STORE, message: 'm' });
    expect(persistence.constructor).toBe(SyncError);
    expect(persistence.code).toBe(ErrorCodes.STORE);
  });
});
