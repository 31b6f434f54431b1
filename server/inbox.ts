/**
 * A connection's inbox: received frames wait here and are handed on in order, ONE UNIT AT A TIME,
 * to an async handler (so a `sync_request` is served whole before the next frame is looked at,
 * and a store that answers asynchronously keeps the order). A unit is the frame at the head plus
 * whatever frames right behind it the handler takes with it (`rest`: the connection takes a run
 * of back-to-back `client_change` frames, change-run.ts); the next unit waits for the handler.
 *
 * Bounded in bytes: the frames waiting AND those of the unit in hand count, and over `maxBytes`
 * the socket stops being read (TCP backpressure) until the handler catches up. Between two units
 * it yields to the event loop, so one busy connection cannot starve others.
 */

/** What the inbox needs from its socket. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

/** The frames waiting behind the unit's head, as its handler sees them. */
export interface Lookahead {
  /** The next waiting frame, left in place (undefined: none waits). */
  peek(): string | undefined;
  /** Take the next waiting frame into the unit in hand (undefined: none waits). */
  take(): string | undefined;
}

/** A unit that took this long is followed by a turn of the event loop. */
const YIELD_AFTER_MS = 1;
/** ... and so is every this many-th unit in a row. */
const YIELD_EVERY = 8;

export class Inbox implements Lookahead {
  private readonly frames: string[] = [];
  /** Bytes of the frames waiting plus those of the unit in hand. */
  private bytes = 0;
  /** Bytes of the unit in hand (released when its handler is done). */
  private held = 0;
  private running = false;
  private stopped = false;
  private paused = false;
  private idleWaiters: Array<() => void> = [];
  private sinceYield = 0;

  constructor(
    private readonly socket: Pausable,
    private readonly maxBytes: number,
    /** Handles one unit: `head`, and what it takes of `rest`; the next unit waits for it. Must not throw (guard inside). */
    private readonly handle: (head: string, rest: Lookahead) => Promise<void>,
    /** A monotonic clock in ms, only to decide when to yield (scheduling, not logic). */
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Queue a received frame (ignored once stopped). */
  push(text: string): void {
    if (this.stopped) return;
    this.frames.push(text);
    this.bytes += text.length;
    if (this.bytes > this.maxBytes && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    if (!this.running) void this.run();
  }

  peek(): string | undefined {
    return this.frames[0];
  }

  take(): string | undefined {
    const text = this.frames.shift();
    if (text !== undefined) this.held += text.length;
    return text;
  }

  /** Drop what waits and handle nothing more (the connection is closing). */
  stop(): void {
    this.stopped = true;
    this.frames.length = 0;
    this.bytes = this.held;
    if (!this.running) this.settle();
  }

  /** Whether the inbox has stopped (closing connection). */
  isStopped(): boolean {
    return this.stopped;
  }

  /** Resolves when nothing waits and nothing is being handled (for tests and shutdown). */
  idle(): Promise<void> {
    if (!this.running && this.frames.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped && this.frames.length > 0) {
        const head = this.take()!;
        const started = this.clock();
        await this.handle(head, this);
        this.bytes -= this.held;
        this.held = 0;
        if (this.paused && this.bytes <= this.maxBytes / 2 && !this.stopped) {
          this.paused = false;
          this.socket.resume();
        }
        // Let other sockets' I/O run before our next unit, after one that took a while (a page
        // served) or every few cheap ones: fair, without a loop turn per cheap frame.
        const spent = this.clock() - started;
        if (this.frames.length > 0 && (spent >= YIELD_AFTER_MS || ++this.sinceYield >= YIELD_EVERY)) {
          this.sinceYield = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    } finally {
      this.running = false;
      this.settle();
    }
  }

  private settle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
