/**
 * Main thread <-> worker messages (DESIGN section 3). Requests carry an `id`; the answer to a
 * request carries the same `id`. Large results travel as a JSON string (`rows_json`), which
 * crosses the worker boundary far cheaper than a structured clone of many row objects.
 */
import * as t from 'io-ts';
import { ChangeId, ClientId, Count, EntityId, Identifier, Lsn, Op, Row, strict, strictPartial } from './primitives.js';
import { RESERVED_CLIENT_ID_PREFIX } from './server-messages.js';

/**
 * An app's `clientId`: a ClientId that does not start with the reserved prefix (the server refuses
 * such a hello, so a client would dial for ever; `ready` rejects instead, naming the option).
 */
export const AppClientId = t.refinement(ClientId, (s) => !s.startsWith(RESERVED_CLIENT_ID_PREFIX), `ClientId (1 to 128 printable ASCII characters, not starting with "${RESERVED_CLIENT_ID_PREFIX}")`);

/**
 * A change as the app asks for it (the worker assigns seq and timestamps, and the change_id unless
 * the calling tab fixed it: a write re-sent to a new leader tab is then recorded once).
 */
export const ChangeRequest = strictPartial({ op: Op, entity: Identifier, entity_id: EntityId, data: t.union([Row, t.null]) }, { change_id: ChangeId }, 'ChangeRequest');
export type ChangeRequest = t.TypeOf<typeof ChangeRequest>;

const Connection = t.keyof({ disconnected: null, connecting: null, handshaking: null, catching_up: null, synced: null });
export type ConnectionState = t.TypeOf<typeof Connection>;

const SerializedError = strictPartial(
  { name: t.string, code: t.string, message: t.string },
  { change_id: t.string, lsn: t.number, entity: t.string, path: t.string, attempt: t.number, cause: t.string },
  'SerializedError',
);

/** The status snapshot the worker publishes (see lib/engine for the reducer that makes it). */
export const SyncStatusCodec = strictPartial(
  {
    connection: Connection,
    lsn: Lsn,
    pending: Count,
    failed: Count,
    inFlight: Count,
    catchingUp: t.union([t.null, strict({ from: Lsn, to: Lsn, done: Count })]),
    lastSyncedAt: t.union([t.null, Count]),
    lastError: t.union([t.null, SerializedError]),
    stuck: t.boolean,
  },
  {
    /** This tab's part when tabs share the database (lib/tabs): `leader` runs the engine, a `follower` relays to it. */
    role: t.keyof({ leader: null, follower: null, electing: null }),
  },
  'SyncStatus',
);

/** Options the worker needs (the serialisable part of createSyncClient's options). */
export const WorkerOptions = strictPartial(
  {
    /** The declaration as the app wrote it: checked by the host (`parseSchema` in openStore), whose SchemaError names its path. */
    schema: t.unknown,
    storage: t.keyof({ memory: null, indexeddb: null }),
  },
  {
    url: t.union([t.string, t.array(t.string)]),
    schemaVersion: Count,
    /** Checked by the host (`parseSchemaPlan`), which knows the schema they belong to. */
    migrations: t.unknown,
    clientId: AppClientId,
    dbName: t.string,
    hasToken: t.boolean,
    backoff: t.partial({ initialDelay: Count, maxDelay: Count, multiplier: t.number }),
    maxAttempts: Count,
    ackTimeout: Count,
    heartbeat: t.partial({ interval: Count, timeout: Count }),
    batchSize: Count,
    maxFrameBytes: Count,
    historyRetention: Count,
    logLevel: t.keyof({ debug: null, info: null, warn: null, error: null, silent: null }),
    /** Absolute URL of sql-wasm.wasm (the client's `wasmUrl` option). */
    wasmUrl: t.string,
  },
  'WorkerOptions',
);
export type WorkerOptions = t.TypeOf<typeof WorkerOptions>;

// main -> worker
export const InitMsg = strict({ type: t.literal('init'), id: Count, options: WorkerOptions }, 'InitMsg');
export const ChangeRecordedMsg = strict({ type: t.literal('change_recorded'), id: Count, changes: t.array(ChangeRequest) }, 'ChangeRecordedMsg');
export const QueryMsg = strict({ type: t.literal('query'), id: Count, sql: t.string, params: t.array(t.union([t.string, t.number, t.null])) }, 'QueryMsg');
export const ConnectMsg = strict({ type: t.literal('connect') }, 'ConnectMsg');
export const DisconnectMsg = strict({ type: t.literal('disconnect') }, 'DisconnectMsg');
export const CloseMsg = strict({ type: t.literal('close'), id: Count }, 'CloseMsg');
/** Failed changes (all, or `change_ids`) go back in the queue / are discarded (their rows fetched again). */
export const RetryFailedMsg = strictPartial({ type: t.literal('retry_failed'), id: Count }, { change_ids: t.array(ChangeId) }, 'RetryFailedMsg');
export const DiscardFailedMsg = strictPartial({ type: t.literal('discard_failed'), id: Count }, { change_ids: t.array(ChangeId) }, 'DiscardFailedMsg');
export const TokenResponseMsg = strict({ type: t.literal('token_response'), id: Count, token: t.union([t.string, t.null]) }, 'TokenResponseMsg');
/** A follower tab's standby worker: load sql.js now (nothing opened), so a failover starts warm. */
export const PreloadMsg = strictPartial({ type: t.literal('preload') }, { wasmUrl: t.string }, 'PreloadMsg');

// worker -> main
/** `epoch`: the store's owner epoch (higher = opened later), which orders leader tabs. */
export const ReadyMsg = strictPartial({ type: t.literal('ready'), id: Count, client_id: ClientId, lsn: Lsn }, { epoch: Count }, 'ReadyMsg');
export const ChangesProcessedMsg = strictPartial(
  { type: t.literal('changes_processed'), origin: t.keyof({ local: null, server: null }), change_ids: t.array(ChangeId), entities: t.array(Identifier) },
  { id: Count, lsn: Lsn },
  'ChangesProcessedMsg',
);
export const QueryResultMsg = strict({ type: t.literal('query_result'), id: Count, rows_json: t.string }, 'QueryResultMsg');
export const StatusMsg = strict({ type: t.literal('status'), status: SyncStatusCodec }, 'StatusMsg');
export const ErrorMsg = strictPartial({ type: t.literal('error'), error: SerializedError }, { id: Count }, 'ErrorMsg');
export const TokenRequestMsg = strict({ type: t.literal('token_request'), id: Count }, 'TokenRequestMsg');
export const ClosedMsg = strict({ type: t.literal('closed'), id: Count }, 'ClosedMsg');
/** The answer to retry_failed / discard_failed: the changes it concerned. */
export const FailedResultMsg = strict({ type: t.literal('failed_result'), id: Count, change_ids: t.array(ChangeId) }, 'FailedResultMsg');
/** The engine's metrics counters (lib/log/metrics.ts), after each change. */
export const MetricsMsg = strict({ type: t.literal('metrics'), metrics: t.record(Identifier, t.number) }, 'MetricsMsg');

export const MainToWorker = t.union([InitMsg, ChangeRecordedMsg, QueryMsg, ConnectMsg, DisconnectMsg, CloseMsg, TokenResponseMsg, RetryFailedMsg, DiscardFailedMsg, PreloadMsg], 'MainToWorker');
export type MainToWorker = t.TypeOf<typeof MainToWorker>;
export const WorkerToMain = t.union([ReadyMsg, ChangesProcessedMsg, QueryResultMsg, StatusMsg, ErrorMsg, TokenRequestMsg, ClosedMsg, FailedResultMsg, MetricsMsg], 'WorkerToMain');
export type WorkerToMain = t.TypeOf<typeof WorkerToMain>;

export const MAIN_TO_WORKER_CODECS = {
  init: InitMsg,
  change_recorded: ChangeRecordedMsg,
  query: QueryMsg,
  connect: ConnectMsg,
  disconnect: DisconnectMsg,
  close: CloseMsg,
  token_response: TokenResponseMsg,
  retry_failed: RetryFailedMsg,
  discard_failed: DiscardFailedMsg,
  preload: PreloadMsg,
} as const;
export const WORKER_TO_MAIN_CODECS = {
  ready: ReadyMsg,
  changes_processed: ChangesProcessedMsg,
  query_result: QueryResultMsg,
  status: StatusMsg,
  error: ErrorMsg,
  token_request: TokenRequestMsg,
  closed: ClosedMsg,
  failed_result: FailedResultMsg,
  metrics: MetricsMsg,
} as const;

export type SyncStatusWire = t.TypeOf<typeof SyncStatusCodec>;
export type ChangesProcessedMsg = t.TypeOf<typeof ChangesProcessedMsg>;
