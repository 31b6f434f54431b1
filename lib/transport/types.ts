/**
 * Types of the connection manager: the options of {@link createTransport}, the minimal WebSocket
 * shape it needs (browser `WebSocket` and `ws` both fit), and the close codes it uses itself.
 */
import type { Observable, SchedulerLike } from 'rxjs';
import type { BackoffPolicy } from '../engine/config.js';
import type { EngineTransport } from '../engine/ports.js';
import type { SchemaDeclaration } from '../protocol/index.js';

/** Event listener as the transport registers it (loosely typed: browser and `ws` events differ). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SocketListener = (event: any) => void;

/** The part of a WebSocket instance the transport uses. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: SocketListener): void;
  /** `ws` only: drop the TCP connection without a close handshake (used for dead connections). */
  terminate?: () => void;
}

/** A WebSocket constructor: the browser's `WebSocket`, `ws`'s `WebSocket`, or a fake in specs. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** Where the transport writes what it does. Structural: any logger with these methods fits. */
export interface TransportLogger {
  debug?(message: string, data?: Record<string, unknown>): void;
  info?(message: string, data?: Record<string, unknown>): void;
  warn?(message: string, data?: Record<string, unknown>): void;
}

/** What `hello` says about this client; read at every handshake so `last_lsn` is fresh. */
export interface HelloInfo {
  client_id: string;
  last_lsn: number;
  /** The app's schema version (omitted: the server takes 1). */
  schema_version?: number;
  /** The scopes the replica holds, as the last `scope_patch` said (access rules; omitted: none recorded). */
  scopes?: string[];
  /**
   * The id of the server the replica synced with (not sent: compared with the `welcome`'s). When a
   * welcome names another server, the frames buffered for the old one are dropped, not sent to it.
   */
  server_id?: string | null;
}

/** Heartbeat timing, in ms. */
export interface HeartbeatOptions {
  /** Silence (no frame received) after which a `ping` is sent. */
  interval: number;
  /** Further silence after that `ping` after which the connection is declared dead, closed and redialled. */
  timeout: number;
}

/** Options of {@link createTransport}. Times are in ms of `scheduler` time. */
export interface TransportOptions {
  /**
   * Server URL (`ws://` or `wss://`), or several (nodes of one deployment, e.g. sync servers on one
   * PostgreSQL): after a connection to one is lost or cannot be made, the next one is dialled
   * (in turn, with the usual backoff), and the client resumes from its LSN there.
   */
  url: string | readonly string[];
  /** Socket constructor, injected: the browser's `WebSocket`, `ws`'s `WebSocket` in Node, a fake in specs. */
  WebSocket: WebSocketConstructor;
  /** Called at every handshake for the `hello` fields, so `last_lsn` is the one persisted right now. */
  hello: () => HelloInfo;
  /**
   * Called once per (re)connect, so an expired token is refreshed; `null` sends `token: null`.
   * Omitted: `hello` carries no token. A throw / rejection is reported (AUTH) and the dial counts as failed.
   */
  token?: () => Promise<string | null> | string | null;
  /** When given, every change in a server frame is checked against it while decoding. */
  schema?: SchemaDeclaration;
  /** Reconnect backoff (full jitter): the n-th retry waits `floor(random() * min(maxDelay, initialDelay * multiplier^(n-1)))`. Default 500 / 30 000 / 2. */
  backoff?: Partial<BackoffPolicy>;
  /** Longest time from dialling to `welcome` (socket open + handshake). Default 10 000. */
  connectTimeout?: number;
  /** Ping / dead-connection timing. Default `{ interval: 15 000, timeout: 10 000 }`. */
  heartbeat?: Partial<HeartbeatOptions>;
  /** Most frames held while not open (default 1000); further `send()`s return false. */
  bufferSize?: number;
  /**
   * Wait after an auth rejection (`auth_error` frame or close 4401) before dialling again.
   * Default 300 000 (5 min); `Infinity` = wait for `connect()`. `connect()` always dials at once.
   */
  authRetryDelay?: number;
  /** Clock for backoff, timeouts and heartbeat (TestScheduler in specs, asyncScheduler in real runs). */
  scheduler: SchedulerLike;
  /** Random source in [0, 1) for the jitter (seeded in specs, `Math.random` at the outer entry). */
  random: () => number;
  /** Network online (true) / offline (false) events; `true` ends a backoff wait at once. */
  onlineEvents?: Observable<boolean>;
  /** Where to log. Default: nothing. */
  logger?: TransportLogger;
}

/** The connection manager: an {@link EngineTransport} plus the commands that drive it. */
export interface Transport extends EngineTransport {
  /** Dial now: ends a backoff or auth wait, and lifts a `disconnect()`. No-op while connected. */
  connect(): void;
  /** Close the connection (code 1000) and stay closed until `connect()`. Buffered frames are kept. */
  disconnect(): void;
  /**
   * Drop the connection (if any) and dial again at once: a fresh handshake with a fresh `hello`.
   * Frames buffered for the old connection are DROPPED, not sent after the next `welcome`: the
   * engine asks for a fresh connection when its state moved (a `client_ahead` resync made
   * acknowledged changes pending again, ahead of changes already buffered; a restart of its
   * pipelines), and a held frame would then reach the server out of order (issue 14, seed
   * 20250626: a row's later change landed on the new log before its earlier one). Nothing is
   * lost: the engine re-sends every pending change from the store after the next handshake.
   */
  reconnect(): void;
  /** Close for good: the socket, every subscription; the observables complete. Idempotent. */
  close(): void;
}

/** Close codes the client itself uses (4000-4999 are free for applications). */
export const ClientCloseCodes = {
  /** `disconnect()`. */
  NORMAL: 1000,
  /** Heartbeat: nothing received within interval + timeout. */
  HEARTBEAT_TIMEOUT: 4000,
  /** `token()` threw or rejected: the handshake was abandoned. */
  HANDSHAKE_FAILED: 4003,
  /** No `welcome` within the connect timeout. */
  CONNECT_TIMEOUT: 4008,
  /** The server sent `auth_error`. */
  AUTH_REJECTED: 4401,
} as const;

/** Close code the server uses for a refused token. */
export const SERVER_UNAUTHORIZED = 4401;
