/**
 * The server's one ordered queue (the hub's `serial`): tasks run one at a time, in the order they
 * were queued, so commit order is broadcast order. An APPLY is a task in two parts: the frame's
 * write, then its continuation (ack and broadcast). Applies that wait back to back are written
 * TOGETHER when the store has group commit (`applyFrames`, PostgreSQL): one transaction and one
 * COMMIT for all of them; then each continuation runs, in order, with its own frame's outcome,
 * as if each frame had had a turn of its own.
 *
 *   queue:  [task] [apply a] [apply b] [apply c] [task] [apply d]
 *            run   '---- one applyFrames ----'    run   applyChanges
 *                  then(a)  then(b)  then(c)            then(d)
 *
 * A group whose transaction fails is written again frame by frame, so each frame gets its own
 * outcome (a refusal is only that frame's; the store already re-runs a refused group that way).
 */
import type { ApplyOutcome } from './store.js';
import type { FrameRequest } from './storage/types.js';

/** Most frames written in one group. */
export const MAX_GROUP_FRAMES = 32;
/** Most changes written in one group (a frame alone may have more: it is then its own group). */
export const MAX_GROUP_CHANGES = 4000;

/** How the queue writes frames. */
export interface FrameWriter {
  /** One frame, alone. */
  one(frame: FrameRequest): Promise<ApplyOutcome> | ApplyOutcome;
  /** Several frames in one transaction (all or none); null: no group commit (every frame alone). */
  readonly many: ((frames: readonly FrameRequest[]) => Promise<ApplyOutcome[]>) | null;
}

interface Settled {
  done(): void;
  fail(e: unknown): void;
}
interface TaskEntry extends Settled {
  readonly kind: 'task';
  run(): unknown;
  resolve(v: unknown): void;
}
interface ApplyEntry extends Settled {
  readonly kind: 'apply';
  /** Changes in the frame. */
  readonly size: number;
  /** The frame, made when its turn comes (access rules capture the rows before it then). */
  request(): FrameRequest;
  /** What follows the write: its outcome, or the database's failure. */
  then(outcome: ApplyOutcome | Error): unknown;
}
type Entry = TaskEntry | ApplyEntry;

const asError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)));

/** Tasks and applies in arrival order, consecutive applies grouped (see the file comment). */
export class ApplyQueue {
  private readonly entries: Entry[] = [];
  private draining = false;

  constructor(private readonly writer: FrameWriter) {}

  /** Run `task` after everything queued before it. */
  serial<T>(task: () => Promise<T> | T): Promise<T> {
    return new Promise<T>((resolve, fail) => {
      this.entries.push({ kind: 'task', run: task, resolve: resolve as (v: unknown) => void, done: () => undefined, fail });
      void this.drain();
    });
  }

  /** Write a frame of `size` changes after everything queued before it, then run `then` with its outcome (in the same order). */
  apply(size: number, request: () => FrameRequest, then: (outcome: ApplyOutcome | Error) => unknown): Promise<void> {
    return new Promise<void>((done, fail) => {
      this.entries.push({ kind: 'apply', size, request, then, done, fail });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let head = this.entries.shift(); head !== undefined; head = this.entries.shift()) {
        if (head.kind === 'task') {
          try {
            head.resolve(await head.run());
          } catch (e) {
            head.fail(e);
          }
          continue;
        }
        const live: ApplyEntry[] = [];
        const requests: FrameRequest[] = [];
        for (const entry of this.takeGroup(head)) {
          try {
            requests.push(entry.request());
            live.push(entry);
          } catch (e) {
            entry.fail(e);
          }
        }
        const outcomes: (ApplyOutcome | Error)[] = [];
        await this.write(requests, outcomes);
        for (let k = 0; k < live.length; k++) {
          try {
            await live[k]!.then(outcomes[k]!);
            live[k]!.done();
          } catch (e) {
            live[k]!.fail(e);
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** The apply at the head and the applies right behind it that fit one group. */
  private takeGroup(head: ApplyEntry): ApplyEntry[] {
    const group = [head];
    if (this.writer.many === null) return group;
    let changes = head.size;
    for (let next = this.entries[0]; next?.kind === 'apply' && group.length < MAX_GROUP_FRAMES && changes + next.size <= MAX_GROUP_CHANGES; next = this.entries[0]) {
      group.push(this.entries.shift() as ApplyEntry);
      changes += next.size;
    }
    return group;
  }

  /** Write the frames (grouped when there are several and they fit), filling one outcome per frame. */
  private async write(requests: readonly FrameRequest[], outcomes: (ApplyOutcome | Error)[]): Promise<void> {
    if (requests.length > 1 && this.writer.many !== null) {
      try {
        outcomes.push(...(await this.writer.many(requests)));
        return;
      } catch {
        // Rolled back whole: each frame again on its own, for its own outcome.
      }
    }
    for (const r of requests) {
      try {
        outcomes.push(await this.writer.one(r));
      } catch (e) {
        outcomes.push(asError(e));
      }
    }
  }
}
