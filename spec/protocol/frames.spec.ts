import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import {
  decodeClientFrame,
  decodeMainMessage,
  decodeServerFrame,
  decodeWorkerMessage,
  encodeFrame,
  MAX_LSN,
  PROTOCOL_VERSION,
  type ClientFrame,
  type MainToWorker,
  type ServerFrame,
  type WorkerToMain,
} from '../../lib/protocol/index.js';
import { ProtocolError } from '../../lib/errors.js';

const change = { change_id: 'c-1', entity: 'todos', entity_id: 'a', op: 'insert' as const, data: { id: 'a', title: 'x', done: 0 } };
const serverChange = { ...change, lsn: 7, client_id: 'client-1' };
const status = {
  connection: 'synced' as const, lsn: 3, pending: 0, failed: 0, inFlight: 0,
  catchingUp: { from: 0, to: 3, done: 3 }, lastSyncedAt: 1000, lastError: null, stuck: false,
};

const clientFrames: ClientFrame[] = [
  { type: 'hello', protocol: PROTOCOL_VERSION, client_id: 'client-1', last_lsn: 0, token: 'tok' },
  { type: 'hello', protocol: PROTOCOL_VERSION, client_id: 'client-1', last_lsn: MAX_LSN },
  { type: 'client_change', changes: [change, { ...change, change_id: 'c-2', op: 'delete', data: null }] },
  { type: 'ack', lsn: 12 },
  { type: 'sync_request', from_lsn: 0 },
  { type: 'sync_request', from_lsn: 5, limit: 100 },
  { type: 'ping', t: 5 },
  { type: 'pong' },
  { type: 'error', code: 'x', message: 'y' },
];
const serverFrames: ServerFrame[] = [
  { type: 'welcome', server_lsn: 9, server_id: 's1' },
  { type: 'change_ack', acks: [
    { change_id: 'c-1', status: 'applied', lsn: 7 },
    { change_id: 'c-2', status: 'duplicate', lsn: 3 },
    { change_id: 'c-3', status: 'rejected', reason: 'constraint', row: { id: 'a', title: 'srv', done: 1 } },
    { change_id: 'c-4', status: 'rejected', reason: 'gone', row: null, code: 'schema_error' },
  ] },
  { type: 'server_changes', prev_lsn: 6, lsn: 7, changes: [serverChange] },
  { type: 'sync_response', from_lsn: 0, lsn: 7, changes: [serverChange], complete: true },
  { type: 'ping' },
  { type: 'pong', t: 1 },
  { type: 'error', code: 'client_ahead', message: 'resync', lsn: 4, retryable: false, change_ids: ['c-1'] },
];
const mainMessages: MainToWorker[] = [
  { type: 'init', id: 1, options: { schema: { todos: { primaryKey: 'id', columns: { id: 'TEXT' } } }, storage: 'memory', url: 'ws://127.0.0.1:1/sync' } },
  { type: 'change_recorded', id: 2, changes: [{ op: 'update', entity: 'todos', entity_id: 'a', data: { done: 1 } }] },
  { type: 'query', id: 3, sql: 'SELECT 1', params: [1, 'a', null] },
  { type: 'connect' },
  { type: 'disconnect' },
  { type: 'close', id: 4 },
  { type: 'token_response', id: 5, token: null },
];
const workerMessages: WorkerToMain[] = [
  { type: 'ready', id: 1, client_id: 'c', lsn: 0 },
  { type: 'changes_processed', id: 2, origin: 'local', change_ids: ['c-1'], entities: ['todos'] },
  { type: 'changes_processed', origin: 'server', change_ids: [], entities: ['todos'], lsn: 9 },
  { type: 'query_result', id: 3, rows_json: '[{"n":1}]' },
  { type: 'status', status },
  { type: 'error', id: 4, error: { name: 'SyncError', code: 'schema_error', message: 'bad', change_id: 'c-1' } },
  { type: 'token_request', id: 6 },
  { type: 'closed', id: 4 },
];

function roundTrip<T>(decode: (raw: unknown) => Either<ProtocolError, T>, msg: T): void {
  const fromString = decode(JSON.stringify(msg));
  const fromObject = decode(JSON.parse(JSON.stringify(msg)));
  if (isLeft(fromString)) fail(`${(msg as { type: string }).type}: ${fromString.left.message}`);
  expect(fromString).toEqual({ _tag: 'Right', right: msg } as never);
  expect(fromObject).toEqual({ _tag: 'Right', right: msg } as never);
}

function errorOf<T>(r: Either<ProtocolError, T>): ProtocolError {
  if (isRight(r)) throw new Error(`expected a ProtocolError, decoded ${JSON.stringify(r.right)}`);
  expect(r.left).toBeInstanceOf(ProtocolError);
  expect(r.left.code).toBe('protocol_error');
  return r.left;
}

describe('protocol frames', () => {
  describe('round trip', () => {
    for (const f of clientFrames) it(`client frame ${f.type} (${JSON.stringify(f).length} chars)`, () => roundTrip(decodeClientFrame, f));
    for (const f of serverFrames) it(`server frame ${f.type} (${JSON.stringify(f).length} chars)`, () => roundTrip(decodeServerFrame, f));
    for (const m of mainMessages) it(`main -> worker ${m.type}`, () => roundTrip(decodeMainMessage, m));
    for (const m of workerMessages) it(`worker -> main ${m.type}`, () => roundTrip(decodeWorkerMessage, m));
    it('encodeFrame gives the JSON the decoder reads back', () => {
      const f = serverFrames[2]!;
      expect(decodeServerFrame(encodeFrame(f))).toEqual({ _tag: 'Right', right: f } as never);
    });
  });

  describe('bad frames', () => {
    it('rejects text that is not JSON', () => {
      expect(errorOf(decodeServerFrame('{"type": "ping"')).message).toMatch(/not JSON/);
      expect(errorOf(decodeServerFrame('')).message).toMatch(/not JSON/);
    });
    it('rejects JSON that is not an object', () => {
      for (const raw of ['[]', '42', 'null', '"ping"', 'true']) expect(errorOf(decodeServerFrame(raw)).message).toMatch(/must be a JSON object/);
    });
    it('rejects a missing or unknown type', () => {
      expect(errorOf(decodeServerFrame('{"lsn":1}')).message).toMatch(/no "type"/);
      const e = errorOf(decodeServerFrame('{"type":"drop_everything"}'));
      expect(e.message).toContain('unknown frame type "drop_everything"');
      expect(e.path).toBe('type');
      // a client frame type is not a server frame
      expect(errorOf(decodeServerFrame({ type: 'hello', protocol: 1, client_id: 'c', last_lsn: 0 })).message).toContain('unknown frame type');
      // an inherited property name is not a type either
      expect(errorOf(decodeServerFrame('{"type":"toString"}')).message).toContain('unknown frame type');
    });
    it('names the path of a missing field', () => {
      const e = errorOf(decodeServerFrame({ type: 'server_changes', prev_lsn: 1, changes: [] }));
      expect(e.path).toBe('lsn');
      expect(e.message).toContain('"lsn"');
    });
    it('names the path of an extra field', () => {
      const e = errorOf(decodeClientFrame({ type: 'ack', lsn: 1, lsnn: 2 }));
      expect(e.path).toBe('lsnn');
      expect(e.message).toContain('unexpected field "lsnn"');
    });
    it('names the path of a wrong field deep in a change', () => {
      const bad = { ...serverChange, op: 'upsert' };
      const e = errorOf(decodeServerFrame({ type: 'server_changes', prev_lsn: 1, lsn: 7, changes: [serverChange, bad] }));
      expect(e.path).toBe('changes.1.op');
    });
    for (const [label, value] of [
      ['negative', -1], ['fractional', 1.5], ['a string', '5'], ['above 2^53', 2 ** 53], ['NaN-like null', null], ['huge', 1e308],
    ] as const) {
      it(`rejects an LSN that is ${label}`, () => {
        expect(errorOf(decodeClientFrame({ type: 'ack', lsn: value })).path).toBe('lsn');
        expect(errorOf(decodeServerFrame({ type: 'server_changes', prev_lsn: 0, lsn: 1, changes: [{ ...serverChange, lsn: value }] })).path).toBe('changes.0.lsn');
      });
    }
    it('accepts the largest safe LSN and rejects the next one as text', () => {
      expect(isRight(decodeClientFrame(`{"type":"ack","lsn":${MAX_LSN}}`))).toBeTrue();
      expect(isLeft(decodeClientFrame('{"type":"ack","lsn":9007199254740992}'))).toBeTrue();
    });
    it('rejects values SQLite cannot store (objects, arrays, booleans)', () => {
      for (const v of [{ a: 1 }, [1], true]) {
        const e = errorOf(decodeClientFrame({ type: 'client_change', changes: [{ ...change, data: { id: 'a', title: v } }] }));
        expect(e.path).toBe('changes.0.data.title');
      }
    });
  });

  describe('prototype keys', () => {
    const hostile = [
      '{"type":"ack","lsn":1,"__proto__":{"polluted":true}}',
      '{"type":"client_change","changes":[{"change_id":"c","entity":"todos","entity_id":"a","op":"insert","data":{"__proto__":{"polluted":true}}}]}',
      '{"type":"client_change","changes":[{"change_id":"c","entity":"todos","entity_id":"a","op":"insert","data":{"constructor":{"prototype":{"polluted":true}}}}]}',
      '{"type":"ping","constructor":{"prototype":{"polluted":true}}}',
    ];
    for (const raw of hostile) {
      it(`rejects ${raw.slice(0, 60)}… and pollutes nothing`, () => {
        const e = errorOf(decodeClientFrame(raw));
        expect(e.message).toMatch(/forbidden key "(__proto__|constructor)"/);
        expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
        expect((Object.prototype as unknown as Record<string, unknown>)['polluted']).toBeUndefined();
      });
    }
    it('rejects a prototype key in an already-parsed object too', () => {
      const obj = JSON.parse('{"type":"ack","lsn":1,"__proto__":{"x":1}}');
      expect(errorOf(decodeClientFrame(obj)).path).toBe('__proto__');
    });
    it('lets the word "constructor" through as a value', () => {
      const f = { type: 'client_change', changes: [{ ...change, data: { id: 'a', title: '"constructor": yes' } }] };
      expect(isRight(decodeClientFrame(JSON.stringify(f)))).toBeTrue();
    });
  });

  describe('size and depth', () => {
    it('rejects a frame over the size limit before parsing it', () => {
      const raw = JSON.stringify({ type: 'ping', t: 1, pad: 'x'.repeat(2000) });
      expect(errorOf(decodeClientFrame(raw, { maxChars: 1000 })).message).toMatch(/too large/);
    });
    it('rejects a deeply nested payload without overflowing the stack', () => {
      const depth = 100_000;
      const raw = `{"type":"client_change","changes":[{"change_id":"c","entity":"todos","entity_id":"a","op":"insert","data":{"id":${'['.repeat(depth)}${']'.repeat(depth)}}}]}`;
      const e = errorOf(decodeClientFrame(raw));
      expect(e.path).toBe('changes.0.data.id');
    });
    it('handles a huge valid batch', () => {
      const changes = Array.from({ length: 20_000 }, (_, i) => ({ ...serverChange, lsn: i + 1, change_id: `c-${i}`, entity_id: `e${i}`, data: { id: `e${i}`, title: 't'.repeat(50), done: i % 2 } }));
      const r = decodeServerFrame(JSON.stringify({ type: 'server_changes', prev_lsn: 0, lsn: 20_000, changes }));
      expect(isRight(r) && r.right.type === 'server_changes' && r.right.changes.length).toBe(20_000);
    });
  });
});

describe('protocol error paths through optional fields', () => {
  it('names the field, not the codec internals, in a frame with optional fields', () => {
    const r = decodeClientFrame({ type: 'sync_request', from_lsn: -3, limit: 5 });
    expect(isLeft(r) && r.left.path).toBe('from_lsn');
    const h = decodeClientFrame({ type: 'hello', protocol: 1, client_id: 'c', last_lsn: 0, token: 5 });
    expect(isLeft(h) && h.left.path).toBe('token');
  });
});
