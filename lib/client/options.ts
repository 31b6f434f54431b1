/**
 * Options of {@link createSyncClient} (DESIGN section 6) and their defaults.
 */
import type { SchemaInput } from '../protocol/index.js';
import type { MigrationInput } from '../schema/migrations.js';
import type { TabsOptions } from '../tabs/options.js';

/** Exponential backoff: delay n = min(maxDelay, initialDelay * multiplier^n), then full jitter. */
export interface BackoffOptions {
  /** First delay in ms (default 500). */
  initialDelay?: number;
  /** Largest delay in ms (default 30 000). */
  maxDelay?: number;
  /** Growth factor per attempt (default 2). */
  multiplier?: number;
}

/** A minimal logger; `console` fits. */
export interface Logger {
  debug?(...args: unknown[]): void;
  info?(...args: unknown[]): void;
  warn?(...args: unknown[]): void;
  error?(...args: unknown[]): void;
}

/** What a `worker` function returns: a `Worker` fits (typed structurally, so no DOM lib is needed). */
export interface SyncWorkerHandle {
  postMessage(message: unknown): void;
  addEventListener(type: string, listener: (event: any) => void): void; // eslint-disable-line @typescript-eslint/no-explicit-any
  removeEventListener(type: string, listener: (event: any) => void): void; // eslint-disable-line @typescript-eslint/no-explicit-any
  terminate(): void;
}

/** Everything createSyncClient accepts. Only `schema` is required. */
export interface SyncClientOptions {
  /**
   * WebSocket URL of the sync server, or a list of them (several nodes on one PostgreSQL): a lost
   * or failed connection fails over to the next URL, and sync resumes from the client's LSN there.
   * Without it the client works offline only.
   */
  url?: string | readonly string[];
  /**
   * The app's tables, as of `schemaVersion`: `{ todos: { primaryKey: 'id', columns: { id: 'TEXT', ... } } }`
   * (long column form `{ type, notNull?, default? }`, `indexes?`: see README "Schema").
   */
  schema: SchemaInput;
  /**
   * Version of `schema` (a positive integer, default 1). Sent in `hello`; the server refuses a
   * version it no longer serves (`schema_outdated`). Raise it with every schema change.
   */
  schemaVersion?: number;
  /**
   * How a local database of an older version becomes `schemaVersion`: `{ version, steps }` for
   * each version after the oldest one still on devices, in order (README "Schema changes").
   * They run in ONE transaction when the store opens; a failure leaves the database as it was.
   */
  migrations?: readonly MigrationInput[];
  /**
   * A stable id for this client (default: generated once and stored with the data): 1 to 128
   * printable ASCII characters, not starting with `rsw:` (reserved; `ready` rejects such an id).
   */
  clientId?: string;
  /** Called on every (re)connect; its result goes in `hello.token`. */
  token?: () => string | null | Promise<string | null>;
  /**
   * Where the data lives: `'indexeddb'` (browser default), `'memory'` (lost on reload), or
   * `{ file }` (Node only, needs `worker: false`).
   */
  storage?: 'indexeddb' | 'memory' | { file: string };
  /** Database name for IndexedDB storage (default `rx-sync-worker`). Two clients in one page need two names. */
  dbName?: string;
  /**
   * Where the engine runs: `true` = the library's bundled Web Worker (default when `Worker` exists;
   * webpack 5 and Vite bundle it), `false` = in-process (Node, or no workers), or a function that
   * starts the app's own worker file whose only line is `import 'rx-sync-worker/worker-entry';`
   * (for bundlers that do not bundle a dependency's worker, such as the Angular CLI):
   * `() => new Worker(new URL('./sync.worker', import.meta.url), { type: 'module' })`.
   */
  worker?: boolean | (() => SyncWorkerHandle);
  /**
   * URL of sql.js's `sql-wasm.wasm`. Default: the copy shipped next to the library's module,
   * found with `new URL('./sql-wasm.wasm', import.meta.url)`; set it for hosts that cannot rewrite that.
   */
  wasmUrl?: string | URL;
  /** Ms to wait for the sync host's `ready` before `ready` rejects with `worker_start_failed` (default 30 000). */
  startTimeout?: number;
  /** Reconnect and retry backoff. */
  backoff?: BackoffOptions;
  /** Counted attempts per change before it is failed (default 3). */
  maxAttempts?: number;
  /** Ms to wait for a change's ack before counting an attempt (default 10 000). */
  ackTimeout?: number;
  /** Ping every `interval` ms; close a connection silent for `timeout` ms (defaults 15 000 / 10 000). */
  heartbeat?: { interval?: number; timeout?: number };
  /** Most changes per `client_change` frame (default 500). */
  batchSize?: number;
  /**
   * Most bytes (UTF-8 JSON of its changes) per `client_change` frame (default 4 MiB; keep it under
   * the server's frame limit, 8 MiB on the reference server). A write with a change that cannot fit
   * one frame by itself is refused (`limit_exceeded`) and nothing of it is recorded.
   */
  maxFrameBytes?: number;
  /** Synced history older than this many ms is pruned (default 7 days). Pending changes never are. */
  historyRetention?: number;
  /**
   * Where the library logs (default: nowhere). Used as it is with `worker: false`; a Web Worker
   * cannot call back into it, so there the worker logs to its own console at `logLevel`.
   */
  logger?: Logger;
  /** Lowest level logged (default: `warn` with a logger, else nothing; set it to see worker logs). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /**
   * Tabs of one origin that open the same `dbName` (IndexedDB) share ONE engine: a leader tab, elected
   * with Web Locks, runs the worker; the others relay to it over a BroadcastChannel and take over when
   * it goes (README "Many tabs"). Default on where Web Locks and BroadcastChannel exist; `false` turns
   * it off (each client then runs its own engine, and the store refuses a second writer).
   */
  tabs?: boolean | TabsOptions;
}
