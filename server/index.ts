/**
 * rx-sync-worker/server — the reference sync server (Node only).
 *
 * ```ts
 * const server = await startSyncServer({ host: '127.0.0.1', port: 0, db: ':memory:', schema });
 * server.url;          // ws://127.0.0.1:PORT/sync
 * await server.close();
 * ```
 * It speaks the protocol of DESIGN.md with the client's own io-ts codecs, keeps a durable LSN
 * log in SQLite (better-sqlite3, WAL) and fans every committed batch out to every client.
 * SQLite is the embedded default; PostgreSQL is the path for deployments that outgrow one
 * machine (out of scope here).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseSchema, type SchemaInput } from '../lib/protocol/index.js';
import { createVerifier, type AuthOptions } from './auth.js';
import { CloseCodes } from './connection.js';
import { SyncHub, type RejectedRowFn } from './hub.js';
import { DEFAULT_LIMITS, checkLimits, type Limits } from './limits.js';
import { toLogger, type Logger, type LogLevel } from './logger.js';
import type { PermitFn } from './store.js';
import { openStorage } from './storage/open.js';
import { UpgradeGate } from './upgrade.js';
import { parseSchemaPlan, type MigrationInput } from '../lib/schema/index.js';
import { schemaVersions } from './schema-versions.js';
import { accessControl } from './access/open.js';
import type { AccessRules } from './access/types.js';

export { createVerifier, signToken, verifyToken, type AuthOptions, type TokenPayload, type TokenVerifier } from './auth.js';
export { createLogger, type Logger, type LogLevel } from './logger.js';
export { DEFAULT_LIMITS, type Limits } from './limits.js';
export { CloseCodes } from './connection.js';
export type { PermitFn } from './store.js';
export type { RejectedRowFn } from './hub.js';
export type { Identity } from './handshake.js';
export type { AccessRules, AccessUser, ReadAccess } from './access/types.js';
export { loadAccessModule } from './access/load.js';

/** How long close() waits for clients to answer the close handshake before cutting them. */
const CLOSE_GRACE_MS = 1000;

/** Default change history kept: 30 days (older is compacted). */
export const DEFAULT_HISTORY_RETENTION_MS = 30 * 24 * 3600 * 1000;

/** Default (and largest) number of changes in one catch-up page. */
export const DEFAULT_PAGE_SIZE = 1000;

/** Options of {@link startSyncServer}. */
export interface SyncServerOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** TCP port; 0 picks a free one (read it from `url`). Default 8787. */
  port?: number;
  /**
   * SQLite file path, or `':memory:'`, or a PostgreSQL URL (`postgres://user@host:5432/db`,
   * optionally `?schema=name`: the tables go in that schema). Default `':memory:'`.
   */
  db?: string;
  /** The app's schema (the same declaration the client uses); checked with parseSchema. */
  schema: SchemaInput | unknown;
  /**
   * With auth, `hello` must carry a valid JWT: HS256 with `secret` (see signToken), or RS256/ES256
   * with an issuer's `publicKey` (PEM) or `jwksUrl`; `audience` / `issuer` checked when given.
   * The connection is closed (auth_error, 4401) when its token expires. Without, the server is open.
   */
  auth?: AuthOptions;
  /** A logger, or a level for the built-in stderr logger. Default `'warn'`. */
  logger?: Logger | LogLevel;
  /** Clock, ms since the epoch (token expiry, rate limit, timestamps). Default `Date.now`. */
  now?: () => number;
  /** Limits (per connection and global); missing fields take {@link DEFAULT_LIMITS}. Checked at start (RangeError). */
  limits?: Partial<Limits>;
  /** Largest catch-up page (a `sync_request.limit` can only lower it). Default 1000. */
  pageSize?: number;
  /** Permission check per change: return null to allow, or the reason to reject. Default: all allowed. (With `access`, use `access.permit`.) */
  permit?: PermitFn;
  /**
   * Access rules: which rows each connection reads (`scopes`, `rowScopes`) and which changes each
   * user may make (`permit`, given the current row). Every frame that carries rows is filtered.
   * Absent: everyone reads everything (the server says so at start).
   */
  access?: AccessRules;
  /** URL path reported in `url` (any path is accepted). Default `/sync`. */
  path?: string;
  /**
   * What a `rejected` ack shows of the current row (the hook where access control hides rows the
   * caller may not read). Default: the row as stored.
   */
  rejectedRow?: RejectedRowFn;
  /**
   * Browser origins allowed to connect (exact, e.g. `https://app.example.com`, or `'*'`). Default:
   * any origin when auth is on; on an OPEN server only its own origin and, when it listens on
   * loopback, loopback pages. A refused origin gets HTTP 403 at the upgrade.
   */
  allowedOrigins?: readonly string[];
  /** Version of `schema` (default 1): the NEWEST app schema; start the server with it before any client has it. */
  schemaVersion?: number;
  /** The app's migrations (the list the clients declare): run on the server's tables, and tell what each older version knows. */
  migrations?: readonly MigrationInput[] | unknown;
  /**
   * Serve a first sync (a client at LSN 0) the CURRENT rows in snapshot pages (default true), so
   * its cost grows with the live rows, not the history; false: the whole log, like any other LSN
   * (for clients that want every change). Clients behind the compaction horizon always get a snapshot.
   */
  snapshotFirstSync?: boolean;
  /**
   * How long the change history is kept (ms, default 30 days). Older history is compacted (the
   * current rows and the compacted log are enough): a client whose LSN is older gets the snapshot
   * path, not an error and not a gap. A change re-sent after its history was compacted is applied
   * again (its dedupe record went with it): keep this well above how long a client may stay offline
   * with unacked changes.
   */
  historyRetentionMs?: number;
  /** A client id not seen for this long is forgotten (its row in the clients table). Default 90 days. */
  clientRetentionMs?: number;
  /** How often compaction runs (ms, default 1 hour; 0: never by itself, see {@link SyncServer.compact}). */
  compactEveryMs?: number;
  /** Oldest client schema version served (default: the oldest the migrations describe); older clients get `schema_outdated`. */
  minSchemaVersion?: number;
}

/** A running server. */
export interface SyncServer {
  /** `ws://host:port/path` of the running server. */
  readonly url: string;
  /** The port actually bound. */
  readonly port: number;
  /** Whether `hello` needs a token. */
  readonly authRequired: boolean;
  /** The log's id (stays with the database file). */
  readonly serverId: string;
  /** LSN of the last committed change. */
  lsn(): number;
  /** Compact now (see `historyRetentionMs`): the new horizon, changes removed, client ids forgotten. */
  compact(): Promise<{ horizon: number; removed: number; clientsPruned: number }>;
  /** Handshaken connections right now. */
  clientCount(): number;
  /** Open sockets right now (handshaken or not). */
  connectionCount(): number;
  /** Bytes of output the server holds for all its sockets right now (unsent). */
  outputBytes(): number;
  /** Close every connection (1001), stop listening, close the database. Idempotent. */
  close(): Promise<void>;
}

/** Open the database, listen, and serve. Resolves once the port is bound. */
export async function startSyncServer(options: SyncServerOptions): Promise<SyncServer> {
  const schema = parseSchema(options.schema);
  const plan = parseSchemaPlan(schema, options.schemaVersion ?? 1, options.migrations ?? []);
  const schemas = schemaVersions(schema, plan, options.minSchemaVersion);
  const logger = toLogger(options.logger);
  const now = options.now ?? Date.now;
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  checkLimits(limits);
  const verifier = options.auth ? await createVerifier(options.auth) : null;
  const store = await openStorage({
    file: options.db ?? ':memory:', schema, now, plan, maxChangeBytes: limits.maxChangeBytes,
    ...(options.clientRetentionMs !== undefined && { clientRetentionMs: options.clientRetentionMs }),
  }, { snapshotFirstSync: options.snapshotFirstSync ?? true });
  let access;
  try {
    access = options.access ? await accessControl(options.access, schema, store, options.db ?? ':memory:', logger) : null;
  } catch (e) {
    await store.close();
    throw e;
  }
  const hub = new SyncHub({
    access,
    store,
    limits,
    logger,
    now,
    verifier,
    permit: options.permit ?? null,
    pageSize: Math.max(1, options.pageSize ?? DEFAULT_PAGE_SIZE),
    rejectedRow: options.rejectedRow ?? ((_change, _who, row) => row),
    schemas,
  });

  const http = createServer((req, res) => {
    // Plain HTTP: a health probe; everything else is for WebSocket upgrades only.
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, lsn: store.lsn(), clients: hub.readyCount() }));
      return;
    }
    res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket only\n');
  });
  const host = options.host ?? '127.0.0.1';
  const gate = new UpgradeGate({ ...limits, allowedOrigins: options.allowedOrigins, authRequired: verifier !== null, host });
  const wss = new WebSocketServer({
    server: http,
    maxPayload: limits.maxFrameBytes,
    perMessageDeflate: false,
    verifyClient: (info: { req: IncomingMessage }, done: (ok: boolean, status?: number, message?: string) => void) => {
      const refusal = gate.check(info.req);
      if (refusal === null) return done(true);
      logger.warn('upgrade refused', { peer: info.req.socket.remoteAddress, status: refusal.status, reason: refusal.message });
      done(false, refusal.status, refusal.message);
    },
  });
  wss.on('connection', (ws, req: IncomingMessage) => {
    ws.once('close', gate.opened(req.socket.remoteAddress ?? '?'));
    hub.accept(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`);
  });
  wss.on('error', (err) => logger.error('websocket server error', { error: err.message }));

  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port ?? 8787, host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    access?.close();
    await store.close();
    throw e;
  }
  const port = (http.address() as AddressInfo).port;
  const url = `ws://${host.includes(':') ? `[${host}]` : host}:${port}${options.path ?? '/sync'}`;
  if (verifier === null) logger.warn('no auth secret configured: the server is OPEN, any client may connect and write');
  if (access === null) logger.warn('no access rules configured: every client reads every row');
  else if (verifier === null) logger.warn('access rules without auth: every client is the same anonymous user (sub "")');
  logger.info('listening', { url, db: options.db ?? ':memory:', auth: verifier !== null, lsn: store.lsn() });

  let closing: Promise<void> | null = null;
  const retention = options.historyRetentionMs ?? DEFAULT_HISTORY_RETENTION_MS;
  // Compaction in the hub's serial queue (between applies and their broadcasts).
  const compact = () => hub.serial(() => store.compact(retention));
  const every = options.compactEveryMs ?? 3600_000;
  // The server's own lifecycle timer (not protocol logic).
  const compactor = every > 0 ? setInterval(() => void compact().catch((e: unknown) => logger.warn('compaction failed', { error: (e as Error).message })), every) : null;
  compactor?.unref();
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (compactor) clearInterval(compactor);
      hub.closeAll(CloseCodes.GOING_AWAY, 'server stopping');
      // Stop accepting upgrades NOW: a client reconnecting during the grace period would
      // otherwise join after closeAll and keep wss.close() waiting forever.
      const stopped = new Promise<void>((resolve) => wss.close(() => resolve()));
      await allClosed([...wss.clients], CLOSE_GRACE_MS);
      await stopped;
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      access?.close();
      await store.close();
      logger.info('stopped', { lsn: store.lsn() });
    })();
    return closing;
  };

  return { url, port, authRequired: verifier !== null, serverId: store.serverId, lsn: () => store.lsn(), compact, clientCount: () => hub.readyCount(),
    connectionCount: () => hub.connectionCount(),
    outputBytes: () => hub.outputBytes(),
    close,
  };
}

/** Resolve when every socket has closed; sockets still open after `graceMs` are cut. */
function allClosed(sockets: WebSocket[], graceMs: number): Promise<void> {
  const open = sockets.filter((ws) => ws.readyState !== ws.CLOSED);
  if (open.length === 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let left = open.length;
    // The server's own lifecycle timer (not protocol logic): bounds how long a stop can take.
    const timer = setTimeout(() => open.forEach((ws) => ws.terminate()), graceMs);
    for (const ws of open) {
      ws.once('close', () => {
        if (--left === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  });
}
