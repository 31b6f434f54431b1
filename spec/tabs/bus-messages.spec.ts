/** The tabs bus checks every envelope at the boundary; anything else is dropped. */
import { checkBusEnvelope } from '../../lib/tabs/bus-messages.js';

describe('tabs bus envelopes', () => {
  it('accepts the five kinds', () => {
    const ok = [
      { rsw: 1, kind: 'ping', from: 't1' },
      { rsw: 1, kind: 'leader', from: 't1', epoch: 3, ready: true },
      { rsw: 1, kind: 'leader', from: 't1', epoch: 3, ready: true, schemaVersion: 2 },
      { rsw: 1, kind: 'request', from: 't1', to: 't2', msg: { type: 'query', id: 1 } },
      { rsw: 1, kind: 'answer', from: 't2', to: 't1', msg: { type: 'query_result', id: 1 } },
      { rsw: 1, kind: 'event', from: 't2', msg: { type: 'status' }, except: 't1' },
    ];
    for (const e of ok) expect(checkBusEnvelope(e)).toBe(e as never);
  });

  it('drops garbage, other versions and malformed fields', () => {
    const bad: unknown[] = [
      null, 'ping', [], { rsw: 2, kind: 'ping', from: 't' }, { rsw: 1, kind: 'ping' }, { rsw: 1, kind: 'nope', from: 't' },
      { rsw: 1, kind: 'leader', from: 't', epoch: -1, ready: true }, { rsw: 1, kind: 'leader', from: 't', epoch: 1 },
      { rsw: 1, kind: 'leader', from: 't', epoch: 1, ready: true, schemaVersion: '2' },
      { rsw: 1, kind: 'request', from: 't', msg: { type: 'x' } }, { rsw: 1, kind: 'answer', from: 't', to: 'u', msg: 'x' },
      { rsw: 1, kind: 'event', from: 't', msg: { type: 'x' }, except: 5 }, { rsw: 1, kind: 'ping', from: 'x'.repeat(129) },
    ];
    for (const e of bad) expect(checkBusEnvelope(e)).withContext(JSON.stringify(e)).toBeNull();
  });
});
