/**
 * Sends one connection's scope patch within its output budget: a frame (at most `maxBytes`) is
 * made and sent only while the socket holds no more than `pauseBytes` unsent, then it waits for
 * the output to drain (polled, like a connection's backpressure). So a backfill of any size
 * neither piles up in memory nor trips the slow-reader close. A new scope change while a patch
 * runs restarts it from the scopes the replica has recorded (the last completed patch).
 */
import { patchFrame } from './patch.js';

/** What the sender needs of a connection. */
export interface PatchPeer {
  /** Send a frame; `continues`: a later page of the same broadcast (not judged slow again: connection.ts). */
  sendRaw(frame: string | Buffer, continues?: boolean): void;
  /** Unsent output bytes of the socket. */
  bufferedAmount(): number;
}

/** How often a paused patch looks at the output again (ms). */
const POLL_MS = 5;

interface Run {
  had: ReadonlySet<string>;
  now: ReadonlySet<string>;
  changes: Iterator<string, void, undefined>;
  carried: string | null;
}

/** The patch of one connection. */
export class PatchSender {
  private run: Run | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly peer: PatchPeer,
    private readonly budget: { maxBytes: number; pauseBytes: number },
    private readonly changes: (had: ReadonlySet<string>, now: ReadonlySet<string>) => Iterator<string, void, undefined>,
  ) {}

  /** Bring the replica from `had` (or, while a patch runs, from what it recorded) to `now`. */
  start(had: ReadonlySet<string>, now: ReadonlySet<string>): void {
    const from = this.run?.had ?? new Set(had);
    const to = new Set(now);
    this.run = { had: from, now: to, changes: this.changes(from, to), carried: null };
    this.pump();
  }

  /** Is a patch still being sent? */
  busy(): boolean {
    return this.run !== null;
  }

  /** Drop the patch (connection closing). */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.run = null;
  }

  private pump(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const run = this.run;
    if (!run) return;
    while (this.peer.bufferedAmount() <= this.budget.pauseBytes) {
      const items: string[] = [];
      let bytes = 0;
      let done = false;
      for (;;) {
        const item = run.carried ?? nextOf(run.changes);
        run.carried = null;
        if (item === undefined) {
          done = true;
          break;
        }
        const size = Buffer.byteLength(item) + 1;
        if (items.length > 0 && bytes + size > this.budget.maxBytes) {
          run.carried = item;
          break;
        }
        items.push(item);
        bytes += size;
      }
      if (this.run !== run) return; // restarted from inside (a rule read that rescoped): the new run pumps itself
      this.peer.sendRaw(patchFrame(items, done ? run.now : null));
      if (done) {
        this.run = null;
        return;
      }
    }
    // The server's own pacing timer (like a connection's output wait), cleared on stop.
    this.timer = setTimeout(() => this.pump(), POLL_MS);
    this.timer.unref();
  }
}

function nextOf(it: Iterator<string, void, undefined>): string | undefined {
  const r = it.next();
  return r.done ? undefined : r.value;
}
