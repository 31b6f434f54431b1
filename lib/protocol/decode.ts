/**
 * The boundary: raw frame (string or already-parsed value) -> typed message, or a ProtocolError
 * that says what was wrong and where (`path`). Failures are data (`Either`), never throws.
 *
 * Guards, in order: size (before parsing), JSON syntax, keys that touch JS prototypes
 * (`__proto__`, `constructor`, `prototype` anywhere in the frame), a known `type`, then the io-ts
 * codec of that type (for the hot frames, first a hand-written check with the same verdict:
 * fast-frames.ts) (which also bounds nesting: no accepted message nests deeper than 4 levels),
 * then, where a schema is given, every change against the schema.
 */
import * as t from 'io-ts';
import { left, right, isLeft, type Either } from './either.js';
import { ProtocolError } from '../errors.js';
import { checkChange, declarationPath, projectChange, type ChangeShape, type SchemaDeclaration } from './schema.js';
import { CLIENT_FRAME_CODECS, SERVER_FRAME_CODECS, type ClientFrame, type ServerFrame } from './server-messages.js';
import { rememberFit } from './checked.js';
import { FAST_CLIENT_FRAMES, FAST_MAIN_MESSAGES, FAST_SERVER_FRAMES, type FastCheck } from './fast-frames.js';
import { MAIN_TO_WORKER_CODECS, WORKER_TO_MAIN_CODECS, type MainToWorker, type WorkerToMain } from './worker-messages.js';

/** Default largest frame a decoder accepts, in UTF-16 code units of the raw string. */
export const DEFAULT_MAX_FRAME_CHARS = 16 * 1024 * 1024;

export interface DecodeOptions {
  /** Largest raw string accepted (default 16 Mi characters). */
  maxChars?: number;
  /** When given, every change in the frame must fit this schema. */
  schema?: SchemaDeclaration;
  /**
   * With `schema` (server frames): changes to tables the schema does not know are left out and
   * unknown columns removed instead of failing the frame (a newer server, an older client); this
   * hears what was left out (`table` / `table.column`).
   */
  project?: (dropped: string[]) => void;
  /**
   * With `schema` (server frames): a change that still does not fit is KEPT instead of failing
   * the frame, and this hears about it. The store checks every change again before it writes
   * and quarantines one that does not fit, so the LSN moves on (a server replays its log as it
   * is: refusing the frame would refuse the same change forever).
   */
  keepUnfit?: (error: ProtocolError) => void;
}

// A key can only spell one of the forbidden names literally or with \u escapes (no other JSON
// escape yields a letter): either in the raw text means the parsed keys are walked.
const FORBIDDEN_KEY = /"(?:__proto__|constructor|prototype)"|\\u/;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Parse JSON text into a plain value, rejecting oversize text and prototype keys. */
export function parseJson(raw: string, maxChars = DEFAULT_MAX_FRAME_CHARS): Either<ProtocolError, unknown> {
  if (raw.length > maxChars) {
    return left(new ProtocolError(`frame too large: ${raw.length} characters (limit ${maxChars})`));
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    return left(new ProtocolError(`frame is not JSON: ${(e as Error).message}`, { cause: e }));
  }
  // Cheap pre-check on the text; the walk over the PARSED keys runs when one may be present.
  if (FORBIDDEN_KEY.test(raw)) {
    const bad = findForbiddenKey(value);
    if (bad !== null) return left(new ProtocolError(`forbidden key "${bad.key}"`, { path: bad.path }));
  }
  return right(value);
}

/** Walk a parsed value (iteratively: no recursion on hostile depth) for prototype keys. */
export function findForbiddenKey(value: unknown): { key: string; path: string } | null {
  const stack: Array<{ v: unknown; path: string }> = [{ v: value, path: '' }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    for (const k of Object.keys(v)) {
      const p = path ? `${path}.${k}` : k;
      if (FORBIDDEN_KEYS.has(k)) return { key: k, path: p };
      stack.push({ v: (v as Record<string, unknown>)[k], path: p });
    }
  }
  return null;
}

/** Turn io-ts errors into one ProtocolError naming the first failing path. */
export function toProtocolError(type: string, errors: t.Errors): ProtocolError {
  const first = errors[0];
  if (!first) return new ProtocolError(`invalid "${type}" frame`);
  const path = contextPath(first.context);
  const leaf = first.context[first.context.length - 1];
  const expected = leaf ? leaf.type.name : 'value';
  const got = describe(first.value);
  const message = first.message ?? `expected ${expected}, got ${got}`;
  return new ProtocolError(`invalid "${type}" frame at "${path || '(root)'}": ${message}`, { path });
}

/**
 * The data path of an io-ts context: object keys and array indexes, without the member indexes
 * that unions and intersections add (`changes.0.data.title`, not `changes.0.data.0.title.0`).
 * One definition, in schema.ts (the declaration's errors use it too).
 */
export const contextPath = declarationPath;

function describe(u: unknown): string {
  if (u === undefined) return 'nothing (missing)';
  if (u === null) return 'null';
  if (Array.isArray(u)) return `an array of ${u.length}`;
  if (typeof u === 'object') return 'an object';
  if (typeof u === 'string') return `"${u.length > 40 ? u.slice(0, 40) + '…' : u}"`;
  return String(u);
}

/**
 * Decode one frame with a table of codecs keyed by `type`. Unknown or missing `type` is a
 * ProtocolError, not a crash.
 */
export function decodeWith<M>(codecs: Record<string, t.Mixed>, raw: unknown, opts: DecodeOptions = {}, fast: Readonly<Record<string, FastCheck>> = {}): Either<ProtocolError, M> {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    const parsed = parseJson(raw, opts.maxChars);
    if (isLeft(parsed)) return parsed;
    value = parsed.right;
  } else {
    const bad = findForbiddenKey(raw);
    if (bad !== null) return left(new ProtocolError(`forbidden key "${bad.key}"`, { path: bad.path }));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return left(new ProtocolError(`frame must be a JSON object, got ${describe(value)}`));
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') return left(new ProtocolError('frame has no "type"', { path: 'type' }));
  if (!Object.prototype.hasOwnProperty.call(codecs, type)) {
    return left(new ProtocolError(`unknown frame type "${type.slice(0, 40)}"`, { path: 'type' }));
  }
  // A hot frame the fast check accepts is what its codec would return (the same object); any
  // other frame, and one it refuses, goes through the codec, which names what is wrong.
  let msg: M;
  const check = Object.prototype.hasOwnProperty.call(fast, type) ? fast[type] : undefined;
  if (check !== undefined && check(value as Record<string, unknown>)) msg = value as M;
  else {
    const result = codecs[type]!.decode(value);
    if (isLeft(result)) return left(toProtocolError(type, result.left));
    msg = result.right as M;
  }
  if (opts.schema) {
    const changes = (msg as { changes?: unknown }).changes;
    if (Array.isArray(changes)) {
      const dropped: string[] = [];
      // Copy of the list, made only once a change was projected (the common frame allocates nothing).
      let kept: ChangeShape[] | null = null;
      let allFit = true;
      for (let i = 0; i < changes.length; i++) {
        const c = changes[i] as ChangeShape;
        let err = checkChange(opts.schema, c);
        let p: ChangeShape | null = c;
        // Only a change that does not fit pays for the projection (then it must fit as projected).
        if (err && opts.project) {
          p = projectChange(opts.schema, c, dropped);
          err = p === null ? null : checkChange(opts.schema, p);
        }
        if (err) {
          const error = new ProtocolError(`invalid "${type}" frame at "changes.${i}.${err.path ?? ''}": ${err.message}`, {
            path: `changes.${i}.${err.path ?? ''}`,
            change_id: err.change_id,
            entity: err.entity,
            cause: err,
          });
          if (!opts.keepUnfit) return left(error);
          opts.keepUnfit(error);
          p = c;
          allFit = false;
        }
        if (p !== c && kept === null) kept = (changes as ChangeShape[]).slice(0, i);
        if (kept !== null && p !== null) kept.push(p);
      }
      if (kept !== null) {
        opts.project!([...new Set(dropped)]);
        (msg as { changes?: unknown }).changes = kept;
      }
      // The store checks these again before it writes, unless they all fit here.
      if (allFit) rememberFit(opts.schema, kept ?? (changes as ChangeShape[]));
    }
  }
  return right(msg);
}

/** Client side: decode a frame the server sent. */
export const decodeServerFrame = (raw: unknown, opts?: DecodeOptions): Either<ProtocolError, ServerFrame> =>
  decodeWith<ServerFrame>(SERVER_FRAME_CODECS, raw, opts, FAST_SERVER_FRAMES);
/** Server side: decode a frame a client sent. */
export const decodeClientFrame = (raw: unknown, opts?: DecodeOptions): Either<ProtocolError, ClientFrame> =>
  decodeWith<ClientFrame>(CLIENT_FRAME_CODECS, raw, opts, FAST_CLIENT_FRAMES);
/** Worker side: decode a message from the main thread. */
export const decodeMainMessage = (raw: unknown, opts?: DecodeOptions): Either<ProtocolError, MainToWorker> =>
  decodeWith<MainToWorker>(MAIN_TO_WORKER_CODECS, raw, opts, FAST_MAIN_MESSAGES);
/**
 * The `id` of a main-thread request that did not decode, when it has a usable one (a token
 * answer's id names the worker's own request, not one to answer): the host answers it with the error.
 */
export function requestIdOf(raw: unknown): number | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { id, type } = raw as { id?: unknown; type?: unknown };
  return type !== 'token_response' && typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
}
/** Main-thread side: decode a message from the worker. */
export const decodeWorkerMessage = (raw: unknown, opts?: DecodeOptions): Either<ProtocolError, WorkerToMain> =>
  decodeWith<WorkerToMain>(WORKER_TO_MAIN_CODECS, raw, opts);

/** Encode a frame for the wire. (Frames are plain JSON values; codecs encode to themselves.) */
export function encodeFrame(frame: ClientFrame | ServerFrame): string {
  return JSON.stringify(frame);
}
