/**
 * Per-connection limits: defaults, and the token bucket that bounds the frame rate.
 * Frame size is enforced by ws itself (`maxPayload`), while reading the frame header, before
 * any payload is buffered.
 */

/** The limits a server applies to every connection. */
export interface Limits {
  /** Largest frame, in bytes (ws `maxPayload`). Over it: an `error` frame and close 1009. Default 8 MiB. */
  maxFrameBytes: number;
  /** Most changes in one `client_change` frame. Over it: an `error` frame, nothing applied. Default 5000. */
  maxChangesPerFrame: number;
  /** Sustained frames per second per connection (token bucket refill rate). Default 500. */
  framesPerSecond: number;
  /** Frames a connection may send in a burst above the rate (bucket size). Default 1000. */
  frameBurst: number;
  /** A client whose unsent output exceeds this many bytes is too slow: closed (1013), it catches up on reconnect. Default 64 MiB. */
  maxBufferedBytes: number;
}

/** The default limits. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxFrameBytes: 8 * 1024 * 1024,
  maxChangesPerFrame: 5000,
  framesPerSecond: 500,
  frameBurst: 1000,
  maxBufferedBytes: 64 * 1024 * 1024,
});

/**
 * A token bucket: `capacity` tokens, refilled at `ratePerSecond`, read against `now()` (ms).
 * `take()` spends one token and says whether there was one.
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
    const t = this.now();
    // A clock that goes backwards refills nothing (and does not drain).
    const elapsed = Math.max(0, t - this.last);
    this.last = t;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSecond) / 1000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
