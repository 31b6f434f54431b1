/**
 * The smallest io-ts codecs every message is built from: LSNs, identifiers, SQLite values, rows.
 * Types are derived with `t.TypeOf`; nothing here is declared twice.
 */
import * as t from 'io-ts';

/** Largest LSN: 2^53 - 1, the largest integer a JSON number carries exactly. */
export const MAX_LSN = Number.MAX_SAFE_INTEGER;

/** A Log Sequence Number: an integer in [0, 2^53 - 1]. 0 means "nothing yet". */
export const Lsn = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'Lsn');
export type Lsn = number;

/** Cast a known-good number (e.g. read from our own database) to an Lsn. Throws otherwise. */
export function lsn(n: number): Lsn {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not an LSN: ${n}`);
  return n;
}

/** A non-negative safe integer (counts, sizes, timestamps in ms). */
export const Count = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'Count');

/**
 * An SQL identifier we are willing to quote: letters, digits and `_`, 1-64 characters, not
 * starting with a digit, not `sqlite_*`, and not one of the names that touch JS prototypes.
 */
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const FORBIDDEN_IDENTIFIERS = new Set(['__proto__', 'constructor', 'prototype']);

export function isIdentifier(s: unknown): s is string {
  return (
    typeof s === 'string' &&
    IDENTIFIER_PATTERN.test(s) &&
    !FORBIDDEN_IDENTIFIERS.has(s) &&
    !s.toLowerCase().startsWith('sqlite_')
  );
}
/**
 * A record whose every key must be an identifier. (`t.record` with a refined key type silently
 * DROPS keys that fail the refinement; this one reports them.)
 */
export function identifierRecord<C extends t.Mixed>(codec: C, name?: string): t.Type<Record<string, t.TypeOf<C>>, Record<string, t.OutputOf<C>>, unknown> {
  const inner = t.record(t.string, codec);
  return new t.Type(
    name ?? `IdentifierRecord<${codec.name}>`,
    (u): u is Record<string, t.TypeOf<C>> => inner.is(u) && Object.keys(u as object).every(isIdentifier),
    (u, c) => {
      if (typeof u === 'object' && u !== null && !Array.isArray(u)) {
        for (const k of Object.keys(u)) {
          if (!isIdentifier(k)) return t.failure(k, t.appendContext(c, k, t.never), `"${String(k).slice(0, 80)}" is not a valid identifier`);
        }
      }
      return inner.validate(u, c);
    },
    (a) => inner.encode(a),
  );
}

/** A string that passed {@link isIdentifier} (plain `string` type, so it indexes records). */
export const Identifier = t.refinement(t.string, isIdentifier, 'Identifier');
export type Identifier = string;

/** Quote an identifier for SQL. Only call on a name that passed {@link isIdentifier}. */
export function quoteIdent(name: string): string {
  if (!isIdentifier(name)) throw new RangeError(`refusing to quote identifier ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/** Ids of changes and clients: 1-128 printable characters. */
export const ChangeId = t.refinement(t.string, (s) => s.length >= 1 && s.length <= 128 && /^[\x21-\x7e]+$/.test(s), 'ChangeId');
export const ClientId = t.refinement(t.string, (s) => s.length >= 1 && s.length <= 128 && /^[\x21-\x7e]+$/.test(s), 'ClientId');
/**
 * Whether a string is well-formed UTF-16 (no lone surrogate). A lone surrogate cannot be stored
 * as UTF-8: SQLite would read it back as U+FFFD, so a row would no longer match its own id.
 */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}
// With the `u` flag a surrogate PAIR is one code point, so only lone surrogates match.
const LONE_SURROGATE = /\p{Cs}/u;

/** A well-formed string (see {@link isWellFormed}). */
export const WellFormedString = t.refinement(t.string, isWellFormed, 'WellFormedString');

/** Well-formed text of at most `max` UTF-16 code units (error codes, messages, reasons). */
export function boundedText(max: number, name = `Text<=${max}`) {
  return t.refinement(t.string, (s) => s.length <= max && isWellFormed(s), name);
}

/** Longest `code` of an error frame or a rejected ack. */
export const MAX_ERROR_CODE_CHARS = 64;
/** Longest `message` of an error frame, or `reason` of a rejected ack. */
export const MAX_ERROR_MESSAGE_CHARS = 1024;

/** Cut `s` to at most `max` code units (marking the cut with `…`), never splitting a surrogate pair. */
export function clipText(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = Math.max(0, max - 1);
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return s.slice(0, end) + '…';
}

/** `s` as well-formed text (each lone surrogate becomes U+FFFD), cut to `max` code units: safe to put in a frame. */
export function safeText(s: string, max = MAX_ERROR_MESSAGE_CHARS): string {
  return clipText(s.replace(/\p{Cs}/gu, '\ufffd'), max);
}

/** An entity's primary key value, as text (numbers are sent as their decimal text). Well-formed, 1-512 code units. */
export const EntityId = t.refinement(t.string, (s) => s.length >= 1 && s.length <= 512 && isWellFormed(s), 'EntityId');

/** A value SQLite stores: well-formed text, a finite number, or null. Booleans are not accepted: use 0/1. */
export const FiniteNumber = t.refinement(t.number, Number.isFinite, 'FiniteNumber');
export const Value = t.union([WellFormedString, FiniteNumber, t.null]);
export type Value = t.TypeOf<typeof Value>;

/** One row: column name -> value. Names are checked against the schema separately. */
export const Row = t.record(t.string, Value);
export type Row = t.TypeOf<typeof Row>;

/** The kinds of change. `update` carries only the changed columns; `delete` carries no data. */
export const Op = t.keyof({ insert: null, update: null, delete: null });
export type Op = t.TypeOf<typeof Op>;

/**
 * An exact object codec with required and optional properties: a property the codec does not know
 * is an error (not silently dropped, as `t.type` would), so a misspelt field is reported at the
 * boundary.
 */
export function strictPartial<R extends t.Props, O extends t.Props>(
  required: R,
  optional: O,
  name?: string,
): t.Type<t.TypeOf<t.TypeC<R>> & t.TypeOf<t.PartialC<O>>, t.OutputOf<t.TypeC<R>> & t.OutputOf<t.PartialC<O>>, unknown> {
  const inner: t.Mixed = Object.keys(optional).length === 0 ? t.type(required) : t.intersection([t.type(required), t.partial(optional)]);
  const known = new Set([...Object.keys(required), ...Object.keys(optional)]);
  return new t.Type(
    name ?? inner.name,
    (u): u is t.TypeOf<t.TypeC<R>> & t.TypeOf<t.PartialC<O>> => inner.is(u),
    (u, c) => {
      if (typeof u === 'object' && u !== null && !Array.isArray(u)) {
        for (const k of Object.keys(u)) {
          if (!known.has(k)) return t.failure((u as Record<string, unknown>)[k], t.appendContext(c, k, t.never), `unexpected field "${k}"`);
        }
      }
      // The inner codec enters the context so that error paths can skip its member indexes.
      return inner.validate(u, t.appendContext(c, '', inner));
    },
    (a) => inner.encode(a),
  );
}

/** {@link strictPartial} with required properties only. */
export function strict<P extends t.Props>(props: P, name?: string): t.Type<t.TypeOf<t.TypeC<P>>, t.OutputOf<t.TypeC<P>>, unknown> {
  return strictPartial(props, {}, name) as unknown as t.Type<t.TypeOf<t.TypeC<P>>, t.OutputOf<t.TypeC<P>>, unknown>;
}

/** UTF-8 length of a string (a lone surrogate counts as the 3 bytes of U+FFFD). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: 2 units, 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}
