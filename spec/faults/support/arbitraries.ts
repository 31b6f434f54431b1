/**
 * fast-check arbitraries for hostile frames: mostly well-formed frames of every type whose fields
 * are swapped for wrong types, huge numbers, deep nesting, big strings, `__proto__` /
 * `constructor` keys and SQL in identifiers; then, as text, truncated (malformed JSON), padded
 * or with a prototype key spliced in. LSN fields stay small so that valid batches really apply.
 */
import fc from 'fast-check';

/** Names that must never reach SQL or a JS prototype. */
export const HOSTILE_NAMES = [
  '__proto__', 'constructor', 'prototype', 'todos"; DROP TABLE todos; --', 'x\' OR 1=1 --', 'sqlite_master', 'local_changes',
  'sync_state', 'change_log', 'clients', 'server_meta', '"', '', ' todos', 'TODOS', 'todos.id', 'id; DELETE FROM todos', 'hasOwnProperty', 'toString',
] as const;

const tables = fc.constantFrom('todos', 'notes');
const columns = fc.constantFrom('id', 'title', 'done', 'body', 'rank');
const name = fc.oneof({ arbitrary: columns, weight: 6 }, { arbitrary: fc.constantFrom(...HOSTILE_NAMES), weight: 2 }, { arbitrary: fc.string({ maxLength: 12 }), weight: 1 });
const entity = fc.oneof({ arbitrary: tables, weight: 8 }, { arbitrary: fc.constantFrom(...HOSTILE_NAMES), weight: 2 }, { arbitrary: fc.string({ maxLength: 12 }), weight: 1 });

/** Numbers at and over every edge. */
export const hostileNumber = fc.oneof(
  fc.integer({ min: -3, max: 12 }),
  fc.constantFrom(2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, 2 ** 31, -(2 ** 31), 0.5, -0, 1e-300),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
/** Anything JSON can carry, nested a little. */
const anyJson = fc.jsonValue({ maxDepth: 3 });
const value = fc.oneof(
  { arbitrary: fc.string({ maxLength: 20 }), weight: 4 },
  { arbitrary: hostileNumber, weight: 3 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: anyJson, weight: 1 },
  { arbitrary: fc.constantFrom("'); DROP TABLE todos; --", '\u0000', '"\\', 'a'.repeat(5000)), weight: 1 },
);
const row = fc.dictionary(name, value, { maxKeys: 4 });
const op = fc.oneof({ arbitrary: fc.constantFrom('insert', 'update', 'delete'), weight: 9 }, { arbitrary: fc.constantFrom('upsert', 'DROP', ''), weight: 1 });
const id = fc.oneof({ arbitrary: fc.constantFrom('a', 'b', 'c', '1'), weight: 6 }, { arbitrary: fc.string({ maxLength: 10 }), weight: 1 });
const smallLsn = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 12 }), weight: 9 }, { arbitrary: hostileNumber, weight: 1 });

/** A change as a client sends it. */
export const clientChange = fc.record({ change_id: fc.oneof(fc.uuid(), fc.string({ maxLength: 8 })), entity, entity_id: id, op, data: fc.oneof(row, fc.constant(null)) });
/** A change as the server logs it. */
export const serverChange = fc.record({ lsn: smallLsn, change_id: fc.oneof(fc.uuid(), fc.constantFrom('dup-1', 'dup-2')), client_id: fc.constantFrom('other', 'me'), entity, entity_id: id, op, data: fc.oneof(row, fc.constant(null)) });

/** A well-formed batch after LSN `prev` (0-6): changes in (prev, lsn], valid names, hostile values. */
const validValue = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("'); DROP TABLE todos; --", '"', '__proto__', 2 ** 53 - 1, -1e308, 0.5, null));
const validChange = (lsn: number) =>
  fc.oneof(
    fc.record({ lsn: fc.constant(lsn), change_id: fc.uuid(), client_id: fc.constant('other'), entity: fc.constant('todos'), entity_id: fc.constantFrom('a', 'b'), op: fc.constantFrom('insert', 'update'), data: fc.record({ title: validValue, done: fc.constantFrom(0, 1, null) }, { requiredKeys: [] }) }),
    fc.record({ lsn: fc.constant(lsn), change_id: fc.uuid(), client_id: fc.constant('other'), entity: fc.constant('notes'), entity_id: fc.constantFrom('n1', 'n2'), op: fc.constantFrom('insert', 'update', 'delete'), data: fc.constant(null) }).map((c) => ({ ...c, data: c.op === 'delete' ? null : { body: 'x', rank: 1.5 } })),
  );
const validBatch = fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 3 })).chain(([prev, k]) =>
  fc.tuple(...Array.from({ length: k }, (_, i) => validChange(prev + i + 1))).map((changes) => ({ type: 'server_changes', prev_lsn: prev, lsn: prev + k, changes })),
);

/** Frames a server sends, mostly well-formed. */
export const serverFrameObject: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { arbitrary: validBatch, weight: 6 },
  { arbitrary: fc.record({ type: fc.constant('server_changes'), prev_lsn: smallLsn, lsn: smallLsn, changes: fc.array(serverChange, { maxLength: 4 }) }), weight: 6 },
  { arbitrary: fc.record({ type: fc.constant('sync_response'), from_lsn: smallLsn, lsn: smallLsn, changes: fc.array(serverChange, { maxLength: 4 }), complete: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ type: fc.constant('change_ack'), acks: fc.array(fc.record({ change_id: fc.string({ maxLength: 8 }), status: fc.constantFrom('applied', 'duplicate', 'rejected'), lsn: smallLsn }), { maxLength: 3 }) }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('welcome'), server_lsn: smallLsn }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('error'), code: fc.string({ maxLength: 10 }), message: fc.string({ maxLength: 10 }) }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constantFrom('ping', 'pong', 'hello', 'drop_tables', '__proto__', 'constructor') }), weight: 1 },
);

/** Frames a client sends, mostly well-formed. */
export const clientFrameObject: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { arbitrary: fc.record({ type: fc.constant('client_change'), changes: fc.array(clientChange, { maxLength: 4 }) }), weight: 7 },
  { arbitrary: fc.record({ type: fc.constant('sync_request'), from_lsn: smallLsn }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('ack'), lsn: smallLsn }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('hello'), protocol: fc.constantFrom(1, 2), client_id: fc.string({ maxLength: 8 }), last_lsn: smallLsn }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constantFrom('ping', 'pong', 'welcome', 'drop_tables', '__proto__', 'constructor'), t: hostileNumber }), weight: 1 },
);

/** Replace one field of the frame (or of its first change) with a wrong-typed value, or add one. */
function mutate(frame: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(frame);
  return fc.tuple(fc.nat(), anyJson, fc.constantFrom('replace', 'drop', 'add', 'deep')).map(([i, v, how]) => {
    const out: Record<string, unknown> = { ...frame };
    const changes = out['changes'];
    const target: Record<string, unknown> = Array.isArray(changes) && changes.length > 0 && i % 2 === 0 ? { ...(changes[0] as object) } : out;
    const k = Object.keys(target)[i % Math.max(1, Object.keys(target).length)] ?? keys[0] ?? 'type';
    if (how === 'replace') target[k] = v;
    else if (how === 'drop') delete target[k];
    else if (how === 'add') target[`x${i % 7}`] = v;
    else target[k] = nest(i % 3000);
    if (target !== out) out['changes'] = [target, ...(changes as unknown[]).slice(1)];
    return out;
  });
}

/** Arrays nested `depth` deep. */
function nest(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** Text-level damage: truncated JSON, a prototype key spliced in, deep nesting, a big frame. */
const textDamage = fc.oneof(
  { arbitrary: fc.constant('none'), weight: 12 },
  { arbitrary: fc.constantFrom('truncate', 'proto', 'constructor', 'garbage'), weight: 4 },
  { arbitrary: fc.constantFrom('deep', 'big'), weight: 1 },
);

/** A hostile frame as TEXT, built from `objects` (a frame arbitrary). */
export function hostileText(objects: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<string> {
  const framed = fc.oneof({ arbitrary: objects, weight: 3 }, { arbitrary: objects.chain(mutate), weight: 2 });
  return fc.tuple(framed, textDamage, fc.nat(), fc.string({ maxLength: 30 })).map(([frame, damage, n, junk]) => {
    const text = JSON.stringify(frame);
    switch (damage) {
      case 'truncate':
        return text.slice(0, n % Math.max(1, text.length));
      case 'proto':
        return text.replace('{', '{"__proto__":{"polluted":1},');
      case 'constructor':
        return text.replace(/\{([^{]*)$/, '{"constructor":{"prototype":{"polluted":1}},$1');
      case 'deep':
        return '['.repeat(1000 + (n % 20_000)) + ']'.repeat(1000 + (n % 20_000));
      case 'big':
        return text.replace('{', `{"pad":"${'x'.repeat(10_000 + (n % 200_000))}",`);
      case 'garbage':
        return junk;
      default:
        return text;
    }
  });
}
