/**
 * The hand-written checks of the hot frames (lib/protocol/fast-frames.ts) must say exactly what
 * the io-ts codecs say, on random frames that are mostly valid and broken one field at a time in
 * the ways a peer can break them (wrong type, out of range, lone surrogate, unknown or missing
 * key, nested values). And the decoder with them must return what the codec-only decoder returns:
 * the same message, or the same error.
 */
import fc from 'fast-check';
import { isRight, type Either } from '../../lib/protocol/either.js';
import { decodeClientFrame, decodeMainMessage, decodeServerFrame, decodeWith } from '../../lib/protocol/decode.js';
import { isChangeRecordedMsg, isClientChangeFrame, isServerChangesFrame, isSyncResponseFrame } from '../../lib/protocol/fast-frames.js';
import { ChangeRecordedMsg, MAIN_TO_WORKER_CODECS } from '../../lib/protocol/worker-messages.js';
import { CLIENT_FRAME_CODECS, ClientChangeFrame, SERVER_FRAME_CODECS, ServerChanges, SyncResponse } from '../../lib/protocol/server-messages.js';

/** Values a broken field takes (JS values: the checks also see structured-clone input). */
const junk = fc.oneof(
  fc.constantFrom(-1, 1.5, 2 ** 53, Number.NaN, Infinity, -Infinity, '', ' ', 'a b', 'x'.repeat(129), 'y'.repeat(513), '\ud800', 'a\udc00', null, true, false, undefined, 'sqlite_t', '9t', 'constructor', 'upsert'),
  fc.constant([]),
  fc.constant({}),
  fc.string({ maxLength: 4 }),
  fc.integer({ min: -3, max: 3 }),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 2 }), fc.integer(), { maxKeys: 2 }),
);
/** Mostly `valid`, sometimes broken. */
const field = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 40, arbitrary: valid as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: junk });
const lsn = fc.oneof(fc.nat({ max: 1000 }), fc.constant(Number.MAX_SAFE_INTEGER));
/** Strings at and past each length limit (ids 128, entity ids 512, identifiers 64). */
const edges = fc.constantFrom(...[63, 64, 65, 127, 128, 129, 511, 512, 513].map((n) => 'a'.repeat(n)));
const printable = fc.oneof({ weight: 8, arbitrary: fc.stringMatching(/^[\x21-\x7e]{1,12}$/) }, { weight: 1, arbitrary: edges });
const ident = fc.oneof({ weight: 8, arbitrary: fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/).filter((s) => !s.startsWith('sqlite_')) }, { weight: 1, arbitrary: edges });
const text = fc.oneof({ weight: 40, arbitrary: fc.string({ maxLength: 8, unit: 'grapheme' }) }, { weight: 1, arbitrary: fc.constantFrom('\ud83d', 'ok\udfff', '\ud83d\ude00') });
const value = fc.oneof({ weight: 10, arbitrary: fc.oneof(text, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constant(null)) }, { weight: 1, arbitrary: junk });
const data = fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 30, arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), value, { maxKeys: 3 }) }, { weight: 1, arbitrary: junk });

/** Null, and one time in `n` a value of `arb`. */
const rarely = <T>(arb: fc.Arbitrary<T>, n: number) => fc.oneof({ weight: n - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });
/** An object with these fields, where a key may also go missing, or an unknown one appear. */
function record(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc.tuple(fc.record(fields), rarely(fc.constantFrom(...Object.keys(fields)), 24), rarely(fc.constantFrom('extra', 'Type', 'lsn2'), 24), rarely(junk, 40)).map(([r, drop, add, whole]) => {
    const o: Record<string, unknown> = { ...r };
    if (drop !== null) delete o[drop];
    if (add !== null) o[add] = 1;
    return whole !== null && typeof whole !== 'object' ? (whole as never) : o;
  });
}
const serverChange = record({ lsn: field(lsn), change_id: field(printable), client_id: field(printable), entity: field(ident), entity_id: field(fc.oneof({ weight: 8, arbitrary: text.filter((s) => s.length > 0) }, { weight: 1, arbitrary: edges })), op: field(fc.constantFrom('insert', 'update', 'delete')), data });
const clientChange = record({ change_id: field(printable), entity: field(ident), entity_id: field(fc.oneof({ weight: 8, arbitrary: text.filter((s) => s.length > 0) }, { weight: 1, arbitrary: edges })), op: field(fc.constantFrom('insert', 'update', 'delete')), data });
/** A change the app asks for: change_id optional. */
const changeRequest = fc.tuple(record({ entity: field(ident), entity_id: field(fc.oneof({ weight: 8, arbitrary: text.filter((s) => s.length > 0) }, { weight: 1, arbitrary: edges })), op: field(fc.constantFrom('insert', 'update', 'delete')), data }), fc.option(field(printable), { freq: 2 })).map(([c, id]) => (id === null || typeof c !== 'object' || c === null ? c : { ...c, change_id: id }));
const list = <T>(item: fc.Arbitrary<T>) => field(fc.array(item, { maxLength: 3 }));

const frames = {
  server_changes: record({ type: fc.constant('server_changes'), prev_lsn: field(lsn), lsn: field(lsn), changes: list(serverChange) }),
  sync_response: fc.tuple(record({ type: fc.constant('sync_response'), from_lsn: field(lsn), lsn: field(lsn), changes: list(serverChange), complete: field(fc.boolean()) }), fc.option(field(lsn), { freq: 2 })).map(([f, cursor]) => (cursor === null || typeof f !== 'object' || f === null ? f : { ...f, cursor })),
  client_change: record({ type: fc.constant('client_change'), changes: list(clientChange) }),
  change_recorded: record({ type: fc.constant('change_recorded'), id: field(fc.nat()), changes: list(changeRequest) }),
};
const checks = { server_changes: [isServerChangesFrame, ServerChanges], sync_response: [isSyncResponseFrame, SyncResponse], client_change: [isClientChangeFrame, ClientChangeFrame], change_recorded: [isChangeRecordedMsg, ChangeRecordedMsg] } as const;
const isFrameObject = (u: unknown): u is Record<string, unknown> => u !== null && typeof u === 'object' && !Array.isArray(u);

describe('protocol: hand-written checks of the hot frames', () => {
  for (const kind of Object.keys(frames) as (keyof typeof frames)[]) {
    it(`say exactly what the io-ts codec says of a "${kind}" frame, valid or broken`, () => {
      const [fast, codec] = checks[kind];
      let valid = 0;
      let broken = 0;
      fc.assert(
        fc.property(frames[kind], (f) => {
          // The decoder hands the checks non-array objects of their own type only.
          if (!isFrameObject(f) || f.type !== kind) return;
          const expected = isRight((codec as { decode(u: unknown): Either<unknown, unknown> }).decode(f));
          if (expected) valid++;
          else broken++;
          expect(fast(f)).withContext(JSON.stringify(f)).toBe(expected);
        }),
        { numRuns: 4000, seed: 1203 },
      );
      // Both sides of the verdict were tried often (a generator of only valid frames proves nothing).
      expect(valid).toBeGreaterThan(400);
      expect(broken).toBeGreaterThan(400);
    });
  }

  it('leave the decoder answering as the codec-only decoder does: the same frame or the same error', () => {
    fc.assert(
      fc.property(fc.oneof(frames.server_changes, frames.sync_response), frames.client_change, frames.change_recorded, (s, c, m) => {
        const sText = JSON.stringify(s) ?? 'null';
        const cText = JSON.stringify(c) ?? 'null';
        expect(decodeServerFrame(sText)).toEqual(decodeWith<unknown>(SERVER_FRAME_CODECS, sText) as never);
        expect(decodeClientFrame(cText)).toEqual(decodeWith<unknown>(CLIENT_FRAME_CODECS, cText) as never);
        // The worker decodes the main thread's messages as objects (structured clone), not text.
        expect(decodeMainMessage(m)).toEqual(decodeWith<unknown>(MAIN_TO_WORKER_CODECS, m) as never);
      }),
      { numRuns: 2000, seed: 31203 },
    );
  });
});
