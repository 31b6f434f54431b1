import { isRight } from 'fp-ts/lib/Either.js';
import { initialStatus, reduceStatus, reduceStatusAll } from '../../lib/engine/status-reducer.js';
import { ErrorCodes, SyncError } from '../../lib/errors.js';
import { SyncStatusCodec } from '../../lib/protocol/index.js';

describe('status reducer (pure)', () => {
  const s0 = initialStatus(4, 2, 1);

  it('walks connecting -> handshaking -> catching_up -> synced -> disconnected', () => {
    const s = reduceStatusAll(s0, [
      { type: 'transport', state: 'connecting' },
      { type: 'transport', state: 'handshaking' },
      { type: 'catchup_started', from: 4, to: 9 },
      { type: 'transport', state: 'open' },
      { type: 'batch_applied', lsn: 7, applied: 3, echoed: [], entities: ['t'], ms: 1 },
    ], 10);
    expect(s).toEqual({ ...s0, connection: 'catching_up', lsn: 7, catchingUp: { from: 4, to: 9, done: 7 } });
    const synced = reduceStatus(s, { type: 'caught_up', lsn: 9 }, 20);
    expect(synced).toEqual({ ...s0, connection: 'synced', lsn: 9, lastSyncedAt: 20 });
    const busy = reduceStatus(synced, { type: 'sent', change_ids: ['a', 'b'] }, 21);
    expect(busy.inFlight).toBe(2);
    expect(reduceStatus(busy, { type: 'transport', state: 'closed' }, 30)).toEqual({ ...synced, connection: 'disconnected' });
  });

  it('ignores a late caught_up after the connection dropped, and open while synced', () => {
    const down = reduceStatus(s0, { type: 'transport', state: 'connecting' }, 1);
    expect(reduceStatus(down, { type: 'caught_up', lsn: 4 }, 2).connection).toBe('connecting');
    const synced = { ...s0, connection: 'synced' as const };
    expect(reduceStatus(synced, { type: 'transport', state: 'open' }, 3)).toBe(synced);
  });

  it('is pure: the input snapshot is never changed; errors are serialised; result encodes with SyncStatusCodec', () => {
    const frozen = Object.freeze({ ...s0 });
    const err = new SyncError(ErrorCodes.ACK_TIMEOUT, 'no ack', { change_id: 'c1', attempt: 1 });
    const s = reduceStatus(frozen, { type: 'error', error: err }, 5);
    expect(frozen.lastError).toBeNull();
    expect(s.lastError).toEqual({ name: 'SyncError', code: 'ack_timeout', message: 'no ack', change_id: 'c1', attempt: 1 });
    expect(isRight(SyncStatusCodec.decode(s))).toBeTrue();
  });
});
