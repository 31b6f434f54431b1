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
import { CloseCodes } from './connection.js';
import { SyncHub } from './hub.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { toLogger, type Logger, type LogLevel } from './logger.js';
import { LogStore, type PermitFn } from './store.js';
import { parseSchemaPlan, type MigrationInput } from '../lib/schema/index.js';
import { schemaVersions } from './schema-versions.js';

export { signToken, verifyToken, type TokenPayload } from './auth.js';
export { createLogger, type Logger, type LogLevel } from './logger.js';
export { DEFAULT_LIMITS, type Limits } from './limits.js';
export { CloseCodes } from './connection.js';
export type { PermitFn } from './store.js';

/** How long close() waits for clients to answer the close handshake before cutting them. */
const CLOSE_GRACE_MS = 1000;

/** Default (and largest) number of changes in one catch-up page. */
export const DEFAULT_PAGE_SIZE = 1000;

/** Options of {@link startSyncServer}. */
export interface SyncServerOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** TCP port; 0 picks a free one (read it from `url`). Default 8787. */
  port?: number;
  /** SQLite file path, or `':memory:'`. Default `':memory:'`. */
  db?: string;
  /** The app's schema (the same declaration the client uses); checked with parseSchema. */
  schema: SchemaInput | unknown;
  /** With a secret, `hello` must carry a valid signed token (see signToken); without, the server is open. */
  auth?: { secret: string };
  /** A logger, or a level for the built-in stderr logger. Default `'warn'`. */
  logger?: Logger | LogLevel;
  /** Clock, ms since the epoch (token expiry, rate limit, timestamps). Default `Date.now`. */
  now?: () => number;
  /** Limits per connection; missing fields take {@link DEFAULT_LIMITS}. */
  limits?: Partial<Limits>;
  /** Largest catch-up page (a `sync_request.limit` can only lower it). Default 1000. */
  pageSize?: number;
  /** Permission check per change: return null to allow, or the reason to reject. Default: all allowed. */
  permit?: PermitFn;
  /** URL path reported in `url` (any path is accepted). Default `/sync`. */
  path?: string;
  /** Version of `schema` (default 1): the NEWEST app schema; start the server with it before any client has it. */
  schemaVersion?: number;
  /** The app's migrations (the list the clients declare): run on the server's tables, and tell what each older version knows. */
  migrations?: readonly MigrationInput[] | unknown;
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
  /** Handshaken connections right now. */
  clientCount(): number;
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
  const secret = options.auth?.secret ?? null;
  if (secret !== null && secret.length < 16) throw new RangeError('auth.secret must be at least 16 characters');
  const store = LogStore.open({ file: options.db ?? ':memory:', schema, now, plan });
  const hub = new SyncHub({ store, limits, logger, now, secret, permit: options.permit ?? null, pageSize: Math.max(1, options.pageSize ?? DEFAULT_PAGE_SIZE), schemas });

  const http = createServer((req, res) => {
    // Plain HTTP: a health probe; everything else is for WebSocket upgrades only.
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, lsn: store.lsn(), clients: hub.readyCount() }));
      return;
    }
    res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket only\n');
  });
  const wss = new WebSocketServer({ server: http, maxPayload: limits.maxFrameBytes, perMessageDeflate: false });
  wss.on('connection', (ws, req: IncomingMessage) => hub.accept(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`));
  wss.on('error', (err) => logger.error('websocket server error', { error: err.message }));

  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port ?? 8787, host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    store.close();
    throw e;
  }
  const port = (http.address() as AddressInfo).port;
  const url = `ws://${host.includes(':') ? `[${host}]` : host}:${port}${options.path ?? '/sync'}`;
  if (secret === null) logger.warn('no auth secret configured: the server is OPEN, any client may connect and write');
  logger.info('listening', { url, db: options.db ?? ':memory:', auth: secret !== null, lsn: store.lsn() });

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      hub.closeAll(CloseCodes.GOING_AWAY, 'server stopping');
      // Stop accepting upgrades NOW: a client reconnecting during the grace period would
      // otherwise join after closeAll and keep wss.close() waiting forever.
      const stopped = new Promise<void>((resolve) => wss.close(() => resolve()));
      await allClosed([...wss.clients], CLOSE_GRACE_MS);
      await stopped;
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      store.close();
      logger.info('stopped', { lsn: store.lsn() });
    })();
    return closing;
  };

  return { url, port, authRequired: secret !== null, serverId: store.serverId, lsn: () => store.lsn(), clientCount: () => hub.readyCount(), close };
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
