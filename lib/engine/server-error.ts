/**
 * Turn a server `error` frame into a typed SyncError. The server's `code` is kept when it is one
 * of ours (e.g. `client_ahead` -> CLIENT_AHEAD); a `retryable` error about changes becomes
 * SERVER_TRANSIENT (one counted attempt each), anything else unknown is INTERNAL.
 */
import { ErrorCodes, SyncError, type ErrorCode } from '../errors.js';
import type { ErrorFrame } from '../protocol/index.js';

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCodes));

/** The SyncError for a server `error` frame, optionally about one change. */
export function serverErrorToSyncError(frame: ErrorFrame, change_id?: string): SyncError {
  const code: ErrorCode = frame.retryable
    ? ErrorCodes.SERVER_TRANSIENT
    : KNOWN_CODES.has(frame.code)
      ? (frame.code as ErrorCode)
      : ErrorCodes.INTERNAL;
  const ctx = { change_id, lsn: frame.lsn };
  return new SyncError(code, `server error ${frame.code}: ${frame.message}`, ctx);
}
