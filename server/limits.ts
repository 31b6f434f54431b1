/**
 * The server's limits (every one a named setting with a default; server/README.md lists what a
 * client sees when it hits each) and the token bucket that paces a connection's work.
 * Frame size is enforced by ws itself (`maxPayload`), while reading the frame header, before
 * any payload is buffered.
 */
import { DEFAULT_MAX_FRAME_CHARS } from '../lib/protocol/index.js';

/** The limits a server applies. */
export interface Limits {
  /** Largest frame a client may send, in bytes (ws `maxPayload`). Over it: an `error` frame and close 1009. Default 8 MiB. */
  maxFrameBytes: number;
  /** Most changes in one `client_change` frame. Over it: an `error` frame naming them (not retryable), nothing applied. Default 5000. */
  maxChangesPerFrame: number;
  /** Largest change (UTF-8 bytes of entity_id + data JSON). Over it: that change is acked `rejected`, code `limit_exceeded`. Default 1 MiB. */
  maxChangeBytes: number;
  /**
   * Byte budget of one catch-up page (and of one `server_changes` or `change_ack` frame: bigger
   * batches go out as several frames). A page always holds at least one change. Default 1 MiB.
   */
  pageMaxBytes: number;
  /**
   * Work units a connection earns per second (token bucket refill). A frame costs 1 (`ack` and
   * `pong` cost nothing), a `client_change` 1 more per 100 changes, a `sync_request` 1 more per
   * 64 KiB it was served. Over the rate, NOTHING is dropped: the connection's frames wait (its
   * socket stops being read) until the bucket refills. Default 500.
   */
  framesPerSecond: number;
  /** Work units a connection may spend in a burst above the rate (bucket size). Default 1000. */
  frameBurst: number;
  /** Bytes of received frames waiting to be handled before the server stops reading the socket (TCP backpressure). Default 1 MiB. */
  maxInboxBytes: number;
  /**
   * A connection's next frame waits (and its socket stops being read) while it has more than this
   * many bytes of unsent output: a client that does not read what it caused is slowed, not closed. Default 1 MiB.
   */
  pauseBufferedBytes: number;
  /**
   * A client whose unsent output is over this many bytes when a frame starts (it reads too slowly
   * for the broadcasts) is closed (1013); it catches up on reconnect. The later pages of one
   * broadcast are sent whole, so a commit bigger than this does not cut a reader that keeps up:
   * what is held for a client stays below this plus one broadcast. Default 8 MiB.
   */
  maxBufferedBytes: number;
  /** `sync_request`s of every connection wait while the unsent output of all connections is over this. Default 64 MiB. */
  globalOutputBytes: number;
  /** A socket that has not said a good `hello` within this many ms gets an `error` frame and close 4408. Default 10 s. */
  helloTimeoutMs: number;
  /** Every this many ms the server pings each socket (WebSocket ping); one that did not answer the previous ping is cut. 0 = off. Default 30 s. */
  heartbeatMs: number;
  /** Most open sockets. Over it: the upgrade is refused with HTTP 503. Default 10000. */
  maxConnections: number;
  /** Most open sockets from one IP address. Over it: HTTP 503. Default 100. */
  maxConnectionsPerIp: number;
}

/** The default limits. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxFrameBytes: 8 * 1024 * 1024,
  maxChangesPerFrame: 5000,
  maxChangeBytes: 1024 * 1024,
  pageMaxBytes: 1024 * 1024,
  framesPerSecond: 500,
  frameBurst: 1000,
  maxInboxBytes: 1024 * 1024,
  pauseBufferedBytes: 1024 * 1024,
  maxBufferedBytes: 8 * 1024 * 1024,
  globalOutputBytes: 64 * 1024 * 1024,
  helloTimeoutMs: 10_000,
  heartbeatMs: 30_000,
  maxConnections: 10_000,
  maxConnectionsPerIp: 100,
});

/** Bytes a frame adds around its changes, per change at most (lsn, client_id, keys): generous. */
const PER_CHANGE_OVERHEAD = 400;

/**
 * Check limits that must agree with each other: the largest frame the server can send (a page or
 * a broadcast chunk holds its budget plus one change) must stay below the client's frame limit.
 * Throws a RangeError naming the setting.
 */
export function checkLimits(limits: Readonly<Limits>): void {
  for (const [k, v] of Object.entries(limits)) {
    if (typeof v !== 'number' || !(v >= 0) || (k !== 'heartbeatMs' && v === 0)) throw new RangeError(`limits.${k} must be a positive number, got ${String(v)}`);
  }
  const largest = limits.pageMaxBytes + limits.maxChangeBytes + 2 * PER_CHANGE_OVERHEAD;
  if (largest >= DEFAULT_MAX_FRAME_CHARS) {
    throw new RangeError(`limits.pageMaxBytes + limits.maxChangeBytes (${largest}) must stay below the client's frame limit (${DEFAULT_MAX_FRAME_CHARS})`);
  }
}

/** What a frame costs against the bucket, before what it is served. */
export function frameCost(type: string, changes = 0): number {
  if (type === 'ack' || type === 'pong') return 0;
  return type === 'client_change' ? 1 + Math.floor(changes / 100) : 1;
}

/** What serving `bytes` of catch-up costs on top of the request itself. */
export function servedCost(bytes: number): number {
  return Math.floor(bytes / (64 * 1024));
}

/**
 * A token bucket: `capacity` tokens, refilled at `ratePerSecond`, read against `now()` (ms).
 * `spend(n)` may go into debt; `waitMs()` says how long until the bucket is out of it.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number,
    private readonly now: () => number,
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  /** Spend one token if there is one. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Spend `n` tokens (going into debt if needed) unless the bucket is in debt already; says whether it spent them. */
  admit(n: number): boolean {
    if (this.waitMs() > 0) return false;
    this.tokens -= n;
    return true;
  }

  /** Spend `n` tokens, going into debt if needed. */
  spend(n: number): void {
    this.refill();
    this.tokens -= n;
  }

  /** Milliseconds until the balance is back to zero (0 when not in debt). */
  waitMs(): number {
    this.refill();
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.ratePerSecond);
  }

  private refill(): void {
    const t = this.now();
    // A clock that goes backwards refills nothing (and does not drain).
    const elapsed = Math.max(0, t - this.last);
    this.last = t;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSecond) / 1000);
  }
}

/** One line per limit for `--help` (the TSDoc above says more; server/README.md what a client sees). */
export const LIMIT_HELP: Readonly<Record<keyof Limits, string>> = Object.freeze({
  maxFrameBytes: 'largest frame a client may send (bytes; over: error + close 1009)',
  maxChangesPerFrame: 'most changes in one client_change frame',
  maxChangeBytes: 'largest change (bytes; over: acked rejected, limit_exceeded)',
  pageMaxBytes: 'byte budget of a catch-up page / broadcast / ack frame',
  framesPerSecond: 'work units per second per connection (over: frames wait)',
  frameBurst: 'work units a connection may burst',
  maxInboxBytes: 'received bytes waiting before the socket stops being read',
  pauseBufferedBytes: "unsent output over which a connection's frames wait",
  maxBufferedBytes: 'unsent output over which a slow reader is closed (1013)',
  globalOutputBytes: 'unsent output of all sockets over which sync_requests wait',
  helloTimeoutMs: 'ms to say hello (over: close 4408)',
  heartbeatMs: 'ms between pings; no pong by the next one: cut (0 = off)',
  maxConnections: 'most open sockets (over: HTTP 503)',
  maxConnectionsPerIp: 'most open sockets per IP address (over: HTTP 503)',
});

/** `maxFrameBytes` -> `max-frame-bytes` (the CLI flag). */
export function limitFlag(name: keyof Limits): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
