/**
 * The one error catalogue of rx-sync-worker.
 *
 * Every error the library reports is a `SyncError`: it has a stable `code`, a human message,
 * the context that is known (`change_id`, `lsn`, `entity`, `path`) and the underlying `cause`.
 * Whether an error may pass on its own (and so is worth a retry) is decided in ONE place,
 * {@link isRetryable}; pipelines never guess from the message.
 */

/** Stable error codes. Add new codes here, never inline strings elsewhere. */
export const ErrorCodes = {
  /** A frame or message failed io-ts decoding, was not JSON, too big or too deep. */
  PROTOCOL: 'protocol_error',
  /** A table, column or value does not fit the declared schema. */
  SCHEMA: 'schema_error',
  /** The local database failed (sql.js threw). */
  STORE: 'store_error',
  /** The persistence layer (IndexedDB / file) failed or found a corrupt journal. */
  PERSISTENCE: 'persistence_error',
  /** The journal tail was corrupt or truncated; the valid prefix was kept. */
  JOURNAL_CORRUPT: 'journal_corrupt',
  /** The server rejected a change (schema, constraint, permission). Fatal for that change. */
  REJECTED: 'change_rejected',
  /** No ack arrived within the ack timeout. One counted attempt. */
  ACK_TIMEOUT: 'ack_timeout',
  /** The server reported a transient failure for a change. One counted attempt. */
  SERVER_TRANSIENT: 'server_transient',
  /** A change used all its attempts. */
  ATTEMPTS_EXHAUSTED: 'attempts_exhausted',
  /** Applying a server batch failed; it was rolled back and will be retried. */
  APPLY_FAILED: 'apply_failed',
  /** The queue head has not moved for longer than the stuck threshold. */
  QUEUE_STUCK: 'queue_stuck',
  /** The socket closed or could not be opened. */
  CONNECTION: 'connection_error',
  /** The server refused the token (expired / invalid). */
  AUTH: 'auth_error',
  /** The client is ahead of the server (server restored from an older backup). */
  CLIENT_AHEAD: 'client_ahead',
  /** Too many out-of-order batches were held; they were dropped and a resync was requested. */
  GAP_OVERFLOW: 'gap_overflow',
  /** A `sync_request` got no answer in time; it was sent again. */
  REQUEST_TIMEOUT: 'sync_request_timeout',
  /** A limit (frame size, rate, changes per frame) was exceeded. */
  LIMIT: 'limit_exceeded',
  /** The client was closed. */
  CLOSED: 'closed',
  /**
   * The sync host could not start: the worker script or the sql.js wasm failed to load, the worker
   * reported an error before `ready`, or no `ready` came within `startTimeout`. The message names
   * the URL that failed (where known) and what to do.
   */
  WORKER_START: 'worker_start_failed',
  /** The server does not serve this app's schema version (too old, or newer than the server's): update the app / the server. */
  SCHEMA_OUTDATED: 'schema_outdated',
  /**
   * A server change could not be applied after `maxApplyAttempts` tries (or can never apply): it
   * was put in the `quarantined_changes` table with its error, the LSN moved on, and its row is
   * fetched again from the server (`fetch_rows`) so that the replica converges.
   */
  QUARANTINED: 'change_quarantined',
  /**
   * The server's `welcome.server_id` differs from the one this store followed (its database was
   * recreated): the replica is rebuilt from scratch, this client's pending changes are kept and sent.
   */
  SERVER_CHANGED: 'server_changed',
  /**
   * Another engine opened this database for writing after this one (a second tab without Web Locks,
   * or a new leader tab that took the lock from a frozen one): this engine stops writing.
   */
  STORE_TAKEN_OVER: 'store_taken_over',
  /** Anything else. */
  INTERNAL: 'internal_error',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Context that travels with an error. All fields optional: fill in what is known. */
export interface SyncErrorContext {
  /** The local change concerned. */
  change_id?: string;
  /** The LSN concerned (batch LSN, or the local LSN at the time). */
  lsn?: number;
  /** The entity table concerned. */
  entity?: string;
  /** Where in a frame the problem was (io-ts path, e.g. `changes.0.lsn`). */
  path?: string;
  /** Attempt number when the error is a counted attempt. */
  attempt?: number;
  /** The underlying error. */
  cause?: unknown;
}

/** The base of every error of the library. */
export class SyncError extends Error {
  override name = 'SyncError';
  readonly change_id?: string;
  readonly lsn?: number;
  readonly entity?: string;
  readonly path?: string;
  readonly attempt?: number;
  override readonly cause?: unknown;

  constructor(
    readonly code: ErrorCode,
    message: string,
    context: SyncErrorContext = {},
  ) {
    super(message);
    this.change_id = context.change_id;
    this.lsn = context.lsn;
    this.entity = context.entity;
    this.path = context.path;
    this.attempt = context.attempt;
    this.cause = context.cause;
  }

  /** A plain, structured-clone and JSON friendly copy (for worker messages and logs). */
  toJSON(): SerializedSyncError {
    const out: SerializedSyncError = { code: this.code, message: this.message, name: this.name };
    if (this.change_id !== undefined) out.change_id = this.change_id;
    if (this.lsn !== undefined) out.lsn = this.lsn;
    if (this.entity !== undefined) out.entity = this.entity;
    if (this.path !== undefined) out.path = this.path;
    if (this.attempt !== undefined) out.attempt = this.attempt;
    if (this.cause !== undefined) out.cause = describeCause(this.cause);
    return out;
  }
}

/** The JSON form of a {@link SyncError}. */
export interface SerializedSyncError {
  name: string;
  code: ErrorCode;
  message: string;
  change_id?: string;
  lsn?: number;
  entity?: string;
  path?: string;
  attempt?: number;
  cause?: string;
}

/** A frame or message that does not decode. */
export class ProtocolError extends SyncError {
  override name = 'ProtocolError';
  constructor(message: string, context: SyncErrorContext = {}) {
    super(ErrorCodes.PROTOCOL, message, context);
  }
}

/** A name or value outside the declared schema. */
export class SchemaError extends SyncError {
  override name = 'SchemaError';
  constructor(message: string, context: SyncErrorContext = {}) {
    super(ErrorCodes.SCHEMA, message, context);
  }
}

/** The local sql.js database failed. */
export class StoreError extends SyncError {
  override name = 'StoreError';
  constructor(message: string, context: SyncErrorContext = {}) {
    super(ErrorCodes.STORE, message, context);
  }
}

/** Persistence failed, or found a corrupt journal tail. */
export class PersistenceError extends SyncError {
  override name = 'PersistenceError';
  constructor(code: typeof ErrorCodes.PERSISTENCE | typeof ErrorCodes.JOURNAL_CORRUPT | typeof ErrorCodes.STORE_TAKEN_OVER, message: string, context: SyncErrorContext = {}) {
    super(code, message, context);
  }
}

/** The server rejected a change. */
export class ChangeRejectedError extends SyncError {
  override name = 'ChangeRejectedError';
  constructor(message: string, context: SyncErrorContext = {}) {
    super(ErrorCodes.REJECTED, message, context);
  }
}

/** Codes that may pass on their own: worth a retry with backoff. Everything else is fatal. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCodes.ACK_TIMEOUT,
  ErrorCodes.REQUEST_TIMEOUT,
  ErrorCodes.SERVER_TRANSIENT,
  ErrorCodes.APPLY_FAILED,
  ErrorCodes.CONNECTION,
  ErrorCodes.PERSISTENCE,
  ErrorCodes.STORE,
]);

/** The one place that decides retryable vs fatal. Unknown errors are fatal. */
export function isRetryable(error: unknown): boolean {
  return error instanceof SyncError && RETRYABLE.has(error.code);
}

/** Wrap anything thrown into a SyncError of the given code, keeping it as `cause`. */
export function toSyncError(error: unknown, code: ErrorCode = ErrorCodes.INTERNAL, context: SyncErrorContext = {}): SyncError {
  if (error instanceof SyncError) return error;
  return new SyncError(code, describeCause(error), { ...context, cause: error });
}

/** The subclasses that take (message, context), by their `name`. */
const BY_NAME: Readonly<Record<string, new (message: string, context?: SyncErrorContext) => SyncError>> = {
  ProtocolError,
  SchemaError,
  StoreError,
  ChangeRejectedError,
};

/**
 * Rebuild a SyncError from its JSON form (main thread side of the worker boundary). The subclass
 * is rebuilt from its name, so `instanceof ChangeRejectedError` (and the others) hold on the main
 * thread as they do in the worker; the code is always the one it was sent with.
 */
export function fromSerialized(e: SerializedSyncError): SyncError {
  const context: SyncErrorContext = { change_id: e.change_id, lsn: e.lsn, entity: e.entity, path: e.path, attempt: e.attempt, cause: e.cause };
  const Sub = Object.prototype.hasOwnProperty.call(BY_NAME, e.name) ? BY_NAME[e.name] : undefined;
  const persistence = e.name === 'PersistenceError' && (e.code === ErrorCodes.JOURNAL_CORRUPT || e.code === ErrorCodes.PERSISTENCE);
  const err = Sub ? new Sub(e.message, context) : persistence ? new PersistenceError(e.code as typeof ErrorCodes.PERSISTENCE, e.message, context) : new SyncError(e.code, e.message, context);
  if (err.code !== e.code) Object.assign(err, { code: e.code });
  err.name = e.name;
  return err;
}

/** The message of anything thrown (an Error's message, a string, else its JSON). */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  if (typeof cause === 'string') return cause;
  try {
    return JSON.stringify(cause);
  } catch {
    return String(cause);
  }
}
