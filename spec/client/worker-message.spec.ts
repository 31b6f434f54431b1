/**
 * The main thread's envelope check of worker messages (lib/client/worker-message.ts): it knows
 * every message type of the protocol, accepts what the worker sends and names what is wrong
 * with anything else.
 */
import { ProtocolError } from '../../lib/errors.js';
import { WORKER_TO_MAIN_CODECS } from '../../lib/protocol/worker-messages.js';
import { checkWorkerMessage, WORKER_MESSAGE_IDS } from '../../lib/client/worker-message.js';

describe('checkWorkerMessage', () => {
  it('knows exactly the protocol\'s worker -> main message types', () => {
    expect(Object.keys(WORKER_MESSAGE_IDS).sort()).toEqual(Object.keys(WORKER_TO_MAIN_CODECS).sort());
  });

  it('marks an id required exactly where the codec requires one', () => {
    for (const [type, codec] of Object.entries(WORKER_TO_MAIN_CODECS)) {
      const withoutId = { type } as Record<string, unknown>;
      // The codec's verdict on a message with nothing but its type, about the `id` field.
      const result = codec.decode(withoutId);
      const idMissing = result._tag === 'Left' && result.left.some((e) => e.context.some((c) => c.key === 'id'));
      expect(WORKER_MESSAGE_IDS[type as keyof typeof WORKER_MESSAGE_IDS]).withContext(type).toBe(idMissing);
    }
  });

  it('accepts what the worker sends', () => {
    const msgs = [
      { type: 'ready', id: 1, client_id: 'c', lsn: 0 },
      { type: 'changes_processed', origin: 'server', change_ids: [], entities: ['todos'], lsn: 3 },
      { type: 'query_result', id: 2, rows_json: '[]' },
      { type: 'error', error: { name: 'SchemaError', code: 'schema_error', message: 'x' } },
      { type: 'token_request', id: 4 },
      { type: 'closed', id: 5 },
    ];
    for (const m of msgs) expect(checkWorkerMessage(m)).withContext(m.type).toBe(m as never);
  });

  it('names what is wrong with anything else', () => {
    const cases: Array<[unknown, RegExp]> = [
      [null, /not an object/],
      [[1], /not an object/],
      ['ready', /not an object/],
      [{ type: 'hello' }, /unknown worker message type "hello"/],
      [{ type: '__proto__' }, /unknown worker message type/],
      [{ id: 1 }, /unknown worker message type/],
      [{ type: 'ready', client_id: 'c', lsn: 0 }, /"ready" has no valid id/],
      [{ type: 'query_result', id: -1, rows_json: '[]' }, /no valid id/],
      [{ type: 'closed', id: 1.5 }, /no valid id/],
      [{ type: 'error', id: 'x', error: { name: 'a', code: 'b', message: 'c' } }, /no valid id/],
      [{ type: 'error', error: 'boom' }, /carries no error/],
    ];
    for (const [raw, re] of cases) {
      const r = checkWorkerMessage(raw);
      expect(r).withContext(JSON.stringify(raw)).toBeInstanceOf(ProtocolError);
      expect((r as ProtocolError).message).toMatch(re);
    }
  });
});
