/**
 * The hot frames' codecs without io-ts: `server_changes` and `sync_response` (client side),
 * `client_change` (server side), and the app's writes, `change_recorded` (worker side). Each function says exactly what its io-ts codec in
 * server-messages.ts says, valid or not (spec/protocol/fast-frames.spec.ts proves it with
 * fast-check on random valid and broken frames), in one pass with no allocation. The decoder
 * runs the io-ts codec only for a frame these refuse, to name what is wrong: the codec stays the
 * one definition of the wire format and of its error messages.
 */
import { isIdentifier, isWellFormed, MAX_LSN } from './primitives.js';

type Obj = Record<string, unknown>;
/** A check of one whole frame (already known to be a non-array object with this `type`). */
export type FastCheck = (frame: Obj) => boolean;

const ID_CHARS = /^[\x21-\x7e]+$/;
const own = Object.prototype.hasOwnProperty;

const isObj = (u: unknown): u is Obj => u !== null && typeof u === 'object' && !Array.isArray(u);
const isLsn = (u: unknown): boolean => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0 && u <= MAX_LSN;
const isChangeId = (u: unknown): boolean => typeof u === 'string' && u.length >= 1 && u.length <= 128 && ID_CHARS.test(u);
const isEntityId = (u: unknown): boolean => typeof u === 'string' && u.length >= 1 && u.length <= 512 && isWellFormed(u);
const isOp = (u: unknown): boolean => u === 'insert' || u === 'update' || u === 'delete';

/** `Row | null`: every own key's value is well-formed text, a finite number or null. */
function isData(u: unknown): boolean {
  if (u === null) return true;
  if (!isObj(u)) return false;
  for (const k in u) {
    if (!own.call(u, k)) continue;
    const v = u[k];
    if (v === null) continue;
    if (typeof v === 'string') {
      if (!isWellFormed(v)) return false;
    } else if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  }
  return true;
}

/** Exactly these keys may be present (each key of `u` is one of them). */
function onlyKeys(u: Obj, known: ReadonlySet<string>): boolean {
  for (const k in u) if (own.call(u, k) && !known.has(k)) return false;
  return true;
}

const SERVER_CHANGE_KEYS = new Set(['lsn', 'change_id', 'client_id', 'entity', 'entity_id', 'op', 'data']);
const CLIENT_CHANGE_KEYS = new Set(['change_id', 'entity', 'entity_id', 'op', 'data']);
const isCount = (u: unknown): boolean => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0;

function isServerChange(u: unknown): boolean {
  return (
    isObj(u) && onlyKeys(u, SERVER_CHANGE_KEYS) && isLsn(u.lsn) && isChangeId(u.change_id) && isChangeId(u.client_id) &&
    isIdentifier(u.entity) && isEntityId(u.entity_id) && isOp(u.op) && isData(u.data)
  );
}

function isClientChange(u: unknown): boolean {
  return isObj(u) && onlyKeys(u, CLIENT_CHANGE_KEYS) && isChangeId(u.change_id) && isIdentifier(u.entity) && isEntityId(u.entity_id) && isOp(u.op) && isData(u.data);
}

/** `ChangeRequest`: a client change whose `change_id` is optional (absent or undefined). */
function isChangeRequest(u: unknown): boolean {
  return isObj(u) && onlyKeys(u, CLIENT_CHANGE_KEYS) && (u.change_id === undefined || isChangeId(u.change_id)) && isIdentifier(u.entity) && isEntityId(u.entity_id) && isOp(u.op) && isData(u.data);
}

function everyOf(u: unknown, item: (x: unknown) => boolean): boolean {
  if (!Array.isArray(u)) return false;
  for (let i = 0; i < u.length; i++) if (!item(u[i])) return false;
  return true;
}

const SERVER_CHANGES_KEYS = new Set(['type', 'prev_lsn', 'lsn', 'changes']);
const SYNC_RESPONSE_KEYS = new Set(['type', 'from_lsn', 'lsn', 'changes', 'complete', 'cursor']);
const CLIENT_CHANGE_FRAME_KEYS = new Set(['type', 'changes']);

/** `ServerChanges`. */
export const isServerChangesFrame: FastCheck = (f) =>
  f.type === 'server_changes' && onlyKeys(f, SERVER_CHANGES_KEYS) && isLsn(f.prev_lsn) && isLsn(f.lsn) && everyOf(f.changes, isServerChange);

/** `SyncResponse` (`cursor` optional: absent or undefined). */
export const isSyncResponseFrame: FastCheck = (f) =>
  f.type === 'sync_response' && onlyKeys(f, SYNC_RESPONSE_KEYS) && isLsn(f.from_lsn) && isLsn(f.lsn) && typeof f.complete === 'boolean' &&
  (f.cursor === undefined || isLsn(f.cursor)) && everyOf(f.changes, isServerChange);

/** `ClientChangeFrame`. */
export const isClientChangeFrame: FastCheck = (f) => f.type === 'client_change' && onlyKeys(f, CLIENT_CHANGE_FRAME_KEYS) && everyOf(f.changes, isClientChange);

const CHANGE_RECORDED_KEYS = new Set(['type', 'id', 'changes']);

/** `ChangeRecordedMsg`. */
export const isChangeRecordedMsg: FastCheck = (f) => f.type === 'change_recorded' && onlyKeys(f, CHANGE_RECORDED_KEYS) && isCount(f.id) && everyOf(f.changes, isChangeRequest);

/** Fast checks of the frames a server sends, by `type`. */
export const FAST_SERVER_FRAMES: Readonly<Record<string, FastCheck>> = { server_changes: isServerChangesFrame, sync_response: isSyncResponseFrame };
/** Fast checks of the frames a client sends, by `type`. */
export const FAST_CLIENT_FRAMES: Readonly<Record<string, FastCheck>> = { client_change: isClientChangeFrame };
/** Fast checks of the messages the main thread sends the worker, by `type`. */
export const FAST_MAIN_MESSAGES: Readonly<Record<string, FastCheck>> = { change_recorded: isChangeRecordedMsg };
