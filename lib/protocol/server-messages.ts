/**
 * Worker <-> server frames (DESIGN section 3). Every frame is a JSON object with a `type`.
 * These codecs are the only definition of the wire format: client and server import them.
 */
import * as t from 'io-ts';
import { ChangeId, ClientId, Count, EntityId, Identifier, Lsn, MAX_ERROR_CODE_CHARS, MAX_ERROR_MESSAGE_CHARS, Op, Row, boundedText, strict, strictPartial } from './primitives.js';

const ErrorCode = boundedText(MAX_ERROR_CODE_CHARS, 'ErrorCode');
const ErrorMessage = boundedText(MAX_ERROR_MESSAGE_CHARS, 'ErrorMessage');

/** Protocol version sent in `hello`. A server refuses a version it does not speak. */
export const PROTOCOL_VERSION = 1;

/**
 * The `client_id` of a snapshot entry (a `sync_response` answered from the compacted log): the
 * row's CURRENT state as an `insert` (or a `delete` for a gone row), not a change anyone made.
 * The client writes it without a history row in `local_changes` and never takes it for an echo.
 */
export const SNAPSHOT_CLIENT_ID = 'rsw:snapshot';
/** Client ids starting with this name the server's own entries (snapshot rows, direct database writes); a hello with one is refused. */
export const RESERVED_CLIENT_ID_PREFIX = 'rsw:';

/** A change made by a client, as sent upstream. */
export const ClientChange = strict(
  { change_id: ChangeId, entity: Identifier, entity_id: EntityId, op: Op, data: t.union([Row, t.null]) },
  'ClientChange',
);
export type ClientChange = t.TypeOf<typeof ClientChange>;

/** A change as the server's log holds it: a client change plus its LSN and author. */
export const ServerChange = strict(
  { lsn: Lsn, change_id: ChangeId, client_id: ClientId, entity: Identifier, entity_id: EntityId, op: Op, data: t.union([Row, t.null]) },
  'ServerChange',
);
export type ServerChange = t.TypeOf<typeof ServerChange>;

/** Most scopes a replica may name (access rules: `hello.scopes`, `scope_patch.scopes`). */
export const MAX_SCOPES = 10_000;
/** Longest scope name (access rules). */
export const MAX_SCOPE_CHARS = 512;
/** The scopes a replica holds (access rules): bounded names, at most {@link MAX_SCOPES}. */
export const ScopeList = t.refinement(t.array(boundedText(MAX_SCOPE_CHARS, 'ScopeName')), (a) => a.length <= MAX_SCOPES, 'ScopeList');

/** First frame of a connection, client -> server. */
export const Hello = strictPartial(
  { type: t.literal('hello'), protocol: t.number, client_id: ClientId, last_lsn: Lsn },
  /** `schema_version`: the app's schema version (absent: 1). */
  { token: t.union([t.string, t.null]), schema_version: Count, scopes: ScopeList },
  'Hello',
);
/**
 * The server's answer to a good hello. `server_id` identifies the log: it is kept by a server
 * restored from a backup (that is the `client_ahead` case) and is new only when the server's
 * database was created anew (the client then resynchronises from scratch: `server_changed`).
 */
export const Welcome = strictPartial(
  { type: t.literal('welcome'), server_lsn: Lsn },
  /** `schema_version`: the newest app schema version the server has. */
  { server_id: boundedText(128, 'ServerId'), page_size: Count, schema_version: Count },
  'Welcome',
);
/** A batch of local changes, client -> server. */
export const ClientChangeFrame = strict({ type: t.literal('client_change'), changes: t.array(ClientChange) }, 'ClientChangeFrame');

/** The outcome of one change. */
export const AckApplied = strictPartial(
  { change_id: ChangeId, status: t.keyof({ applied: null, duplicate: null }), lsn: Lsn },
  {},
  'AckApplied',
);
export const AckRejected = strictPartial(
  { change_id: ChangeId, status: t.literal('rejected'), reason: ErrorMessage, row: t.union([Row, t.null]) },
  { code: ErrorCode },
  'AckRejected',
);
export const AckEntry = t.union([AckApplied, AckRejected]);
export type AckEntry = t.TypeOf<typeof AckEntry>;
/** Server -> client: the outcome of each change of a `client_change` frame. */
export const ChangeAck = strict({ type: t.literal('change_ack'), acks: t.array(AckEntry) }, 'ChangeAck');

/** Server -> client: changes committed to the log, `prev_lsn` < every change lsn <= `lsn`. */
export const ServerChanges = strict(
  { type: t.literal('server_changes'), prev_lsn: Lsn, lsn: Lsn, changes: t.array(ServerChange) },
  'ServerChanges',
);
/** One row of a scope patch: the row as it is now (`insert`, whole row), or `delete` it from the replica. */
export const PatchChange = strict(
  { entity: Identifier, entity_id: EntityId, op: t.keyof({ insert: null, delete: null }), data: t.union([Row, t.null]) },
  'PatchChange',
);
export type PatchChange = t.TypeOf<typeof PatchChange>;
/**
 * Server -> client (access rules): the scopes this replica holds changed (a scope gained or lost
 * while connected, or other claims at hello). `changes` are current rows to write and rows to
 * remove, applied on arrival without moving the LSN; the LAST frame of a patch carries `scopes`,
 * which the client records and names in its next `hello` (`hello.scopes`).
 */
export const ScopePatch = strictPartial({ type: t.literal('scope_patch'), changes: t.array(PatchChange) }, { scopes: ScopeList }, 'ScopePatch');
export type ScopePatch = t.TypeOf<typeof ScopePatch>;

/** Client -> server: everything up to `lsn` is applied locally. */
export const Ack = strict({ type: t.literal('ack'), lsn: Lsn }, 'Ack');
/** Client -> server: send me the changes after `from_lsn` (catch-up or gap fill). */
export const SyncRequest = strictPartial(
  { type: t.literal('sync_request'), from_lsn: Lsn },
  /** `cursor`: continue a snapshot (the `cursor` of the previous snapshot page). */
  { limit: Count, cursor: Lsn },
  'SyncRequest',
);
/** Server -> client: one catch-up page, changes in (`from_lsn`, `lsn`]; `complete` on the last page. */
export const SyncResponse = strictPartial(
  { type: t.literal('sync_response'), from_lsn: Lsn, lsn: Lsn, changes: t.array(ServerChange), complete: t.boolean },
  /**
   * `cursor`: a snapshot page that is not the last (the answer to a first sync, or to a client
   * behind the compaction horizon): its changes are current rows with lsn > `from_lsn`, `lsn` equals
   * `from_lsn` (the client's LSN does not move until the last page, which has no cursor and
   * `lsn` = the snapshot's LSN); ask for the next page with this cursor.
   */
  { cursor: Lsn },
  'SyncResponse',
);
/** Most ids in one `fetch_rows` frame. */
export const MAX_FETCH_ROWS = 500;
/**
 * Client -> server: send me the current version of these rows (a quarantined server change, a
 * discarded local change). Answered with `rows`.
 */
export const FetchRows = strict(
  {
    type: t.literal('fetch_rows'),
    entity: Identifier,
    ids: t.refinement(t.array(EntityId), (a) => a.length > 0 && a.length <= MAX_FETCH_ROWS, `EntityIds(1..${MAX_FETCH_ROWS})`),
  },
  'FetchRows',
);
/** One fetched row: `row` null = the server has no such row. */
export const FetchedRow = strict({ id: EntityId, row: t.union([Row, t.null]) }, 'FetchedRow');
export type FetchedRow = t.TypeOf<typeof FetchedRow>;
/** Server -> client: the answer to `fetch_rows`, read at the server's `lsn`. */
export const RowsFrame = strict({ type: t.literal('rows'), entity: Identifier, lsn: Lsn, rows: t.array(FetchedRow) }, 'RowsFrame');
export const Ping = strictPartial({ type: t.literal('ping') }, { t: Count }, 'Ping');
export const Pong = strictPartial({ type: t.literal('pong') }, { t: Count }, 'Pong');
/**
 * Either side -> the other: something went wrong. `retryable` says the same frame may be sent
 * again later; `change_ids` names the changes concerned, `lsn` the server's position where useful.
 * `code` and `message` are bounded (64 and 1024 code units): a peer cannot fill the other's logs.
 */
export const ErrorFrame = strictPartial(
  { type: t.literal('error'), code: ErrorCode, message: ErrorMessage },
  { retryable: t.boolean, change_ids: t.array(ChangeId), lsn: Lsn },
  'ErrorFrame',
);

/** Frames a client sends. */
export const ClientFrame = t.union([Hello, ClientChangeFrame, Ack, SyncRequest, FetchRows, Ping, Pong, ErrorFrame], 'ClientFrame');
export type ClientFrame = t.TypeOf<typeof ClientFrame>;
/** Frames a server sends. */
export const ServerFrame = t.union([Welcome, ChangeAck, ServerChanges, SyncResponse, RowsFrame, ScopePatch, Ping, Pong, ErrorFrame], 'ServerFrame');
export type ServerFrame = t.TypeOf<typeof ServerFrame>;

export type Hello = t.TypeOf<typeof Hello>;
export type Welcome = t.TypeOf<typeof Welcome>;
export type ClientChangeFrame = t.TypeOf<typeof ClientChangeFrame>;
export type ChangeAck = t.TypeOf<typeof ChangeAck>;
export type ServerChanges = t.TypeOf<typeof ServerChanges>;
export type Ack = t.TypeOf<typeof Ack>;
export type SyncRequest = t.TypeOf<typeof SyncRequest>;
export type SyncResponse = t.TypeOf<typeof SyncResponse>;
export type Ping = t.TypeOf<typeof Ping>;
export type Pong = t.TypeOf<typeof Pong>;
export type ErrorFrame = t.TypeOf<typeof ErrorFrame>;
export type FetchRows = t.TypeOf<typeof FetchRows>;
export type RowsFrame = t.TypeOf<typeof RowsFrame>;

/** Codec by `type`, so a decoder can name the right codec in its error (and reject unknown types). */
export const CLIENT_FRAME_CODECS = {
  hello: Hello,
  client_change: ClientChangeFrame,
  ack: Ack,
  sync_request: SyncRequest,
  fetch_rows: FetchRows,
  ping: Ping,
  pong: Pong,
  error: ErrorFrame,
} as const;
export const SERVER_FRAME_CODECS = {
  welcome: Welcome,
  change_ack: ChangeAck,
  server_changes: ServerChanges,
  sync_response: SyncResponse,
  rows: RowsFrame,
  scope_patch: ScopePatch,
  ping: Ping,
  pong: Pong,
  error: ErrorFrame,
} as const;
