/**
 * A connection's inbox: received frames wait here and are handled ONE AT A TIME, in order, by an
 * async handler (so a `sync_request` is served whole before the next frame is looked at, and a
 * store that answers asynchronously keeps the order). The inbox is bounded in bytes: over
 * `maxBytes` the socket stops being read (TCP backpressure) until the handler catches up.
 * Between two frames it yields to the event loop, so one busy connection cannot starve others.
 */

/** What the inbox needs from its socket. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

/** A frame that took this long is followed by a turn of the event loop. */
const YIELD_AFTER_MS = 1;
/** ... and so is every this many-th frame in a row. */
const YIELD_EVERY = 8;

export class Inbox {
  private readonly frames: string[] = [];
  private bytes = 0;
  private running = false;
  private stopped = false;
  private paused = false;
  private idleWaiters: Array<() => void> = [];
  private sinceYield = 0;

  constructor(
    private readonly socket: Pausable,
    private readonly maxBytes: number,
    /** Handles one frame; the next waits for it. Must not throw (guard inside). */
    private readonly handle: (text: string) => Promise<void>,
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

  /** Drop what waits and handle nothing more (the connection is closing). */
  stop(): void {
    this.stopped = true;
    this.frames.length = 0;
    this.bytes = 0;
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
        const text = this.frames.shift()!;
        this.bytes -= text.length;
        const started = this.clock();
        await this.handle(text);
        if (this.paused && this.bytes <= this.maxBytes / 2 && !this.stopped) {
          this.paused = false;
          this.socket.resume();
        }
        // Let other sockets' I/O run before our next frame, after a frame that took a while (a
        // page served) or every few cheap ones: fair, without a loop turn per cheap frame.
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
