/**
 * The server's one ordered queue (the hub's `serial`): tasks run one at a time, in the order they
 * were queued, so commit order is broadcast order. An APPLY is a task in two parts: the write of
 * a RUN of frames (one or more `client_change` frames of ONE sender, back to back: change-run.ts),
 * then its continuation (acks and broadcast) with one outcome per frame.
 *
 * Applies that wait back to back are written TOGETHER when the store has group commit
 * (`applyFrames`, PostgreSQL): one transaction and one COMMIT for all their frames; then each
 * continuation runs, in order, with its own frames' outcomes, as if each apply had had a turn of
 * its own. Without group commit, a run of several frames is still ONE transaction: its frames'
 * changes go to `applyChanges` as one list (run-outcomes.ts: same sender, so the same answers
 * as frame after frame) and the outcome is split back per frame.
 *
 *   queue:  [task] [apply a] [apply b,b'] [apply c] [task] [apply d,d']
 *            run   '------ one applyFrames ------'    run   applyChanges(d + d')
 *                  then(a)  then(b,b')  then(c)             then(d,d')
 *
 * A group or a merged run whose transaction fails is written again frame by frame, so each frame
 * gets its own outcome (a refusal is only that frame's; the store already re-runs a refused group
 * that way).
 *
 * With group commit the next group's write does not wait for the continuations of the group
 * before it: it starts once that group's write is done (one transaction at a time, so commit order
 * stays queue order), while those continuations still run (their socket writes, their waits for a
 * slow reader); its own continuations run after them. So the database works on group n+1 while
 * the server sends group n, instead of each waiting for the other. A task still runs after every
 * continuation before it. The groups written meanwhile are of other senders: a connection hands
 * on its next run only after its last one's continuation (inbox.ts). Without group commit (SQLite:
 * the write is synchronous) every continuation ends before the next write.
 *
 *   write:  [group n]            [group n+1]            [group n+2]
 *   then:            [then n .........]  [then n+1 ..........]
 */
import type { ApplyOutcome } from './store.js';
import type { FrameRequest } from './storage/types.js';
import { mergeRun, splitOutcome } from './run-outcomes.js';

/** Most frames written in one group. */
export const MAX_GROUP_FRAMES = 32;
/** Most changes written in one group (a frame alone may have more: it is then its own group). */
export const MAX_GROUP_CHANGES = 4000;

/** How the queue writes frames. */
export interface FrameWriter {
  /** One frame, alone. */
  one(frame: FrameRequest): Promise<ApplyOutcome> | ApplyOutcome;
  /** Several frames in one transaction (all or none); null: no group commit (every run alone). */
  readonly many: ((frames: readonly FrameRequest[]) => Promise<ApplyOutcome[]>) | null;
}

/** What a run's write gave each of its frames: its outcome, or the database's failure. */
export type FrameOutcome = ApplyOutcome | Error;

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
  /** Changes in each frame of the run. */
  readonly sizes: readonly number[];
  /** The run's frames, made when its turn comes (access rules capture the rows before it then). */
  request(): readonly FrameRequest[];
  /** What follows the write: one outcome per frame, in order. */
  then(outcomes: readonly FrameOutcome[]): unknown;
}
type Entry = TaskEntry | ApplyEntry;

/** Run each entry's continuation with its outcomes, in order; a continuation that throws fails its own caller only. */
async function continueAll(live: readonly ApplyEntry[], outcomes: readonly (readonly FrameOutcome[])[]): Promise<void> {
  for (let k = 0; k < live.length; k++) {
    try {
      await live[k]!.then(outcomes[k]!);
      live[k]!.done();
    } catch (e) {
      live[k]!.fail(e);
    }
  }
}

const asError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)));
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Tasks and applies in arrival order, consecutive applies grouped (see the file comment). */
export class ApplyQueue {
  private readonly entries: Entry[] = [];
  private draining = false;
  /** Resolves the promise of {@link nextEntry} (set while the drain waits for one). */
  private arrived: (() => void) | null = null;

  constructor(private readonly writer: FrameWriter) {}

  /** Run `task` after everything queued before it. */
  serial<T>(task: () => Promise<T> | T): Promise<T> {
    return new Promise<T>((resolve, fail) => {
      this.push({ kind: 'task', run: task, resolve: resolve as (v: unknown) => void, done: () => undefined, fail });
    });
  }

  /**
   * Write a run of frames of `sizes` changes each (one sender's, in order) after everything
   * queued before it, then run `then` with one outcome per frame (in the same order).
   */
  apply(sizes: readonly number[], request: () => readonly FrameRequest[], then: (outcomes: readonly FrameOutcome[]) => unknown): Promise<void> {
    return new Promise<void>((done, fail) => {
      this.push({ kind: 'apply', sizes, request, then, done, fail });
    });
  }

  private push(entry: Entry): void {
    this.entries.push(entry);
    const arrived = this.arrived;
    this.arrived = null;
    arrived?.();
    void this.drain();
  }

  /** Resolves when the next entry is queued. */
  private nextEntry(): Promise<void> {
    return new Promise<void>((ok) => (this.arrived = ok));
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    // With group commit: the continuations of the group written last, still running (see the file comment).
    let behind: Promise<void> | null = null;
    try {
      for (;;) {
        const head = this.entries.shift();
        if (head === undefined) {
          if (behind === null) break;
          // Wait for the last continuations to end, or for an entry queued meanwhile (draining stays set).
          const last = behind;
          const ended = await Promise.race([last.then(() => true), this.nextEntry().then(() => false)]);
          if (ended) behind = null;
          continue;
        }
        if (head.kind === 'task') {
          // A task runs after everything before it, continuations included.
          if (behind !== null) await behind;
          behind = null;
          try {
            head.resolve(await head.run());
          } catch (e) {
            head.fail(e);
          }
          continue;
        }
        const live: ApplyEntry[] = [];
        const runs: (readonly FrameRequest[])[] = [];
        for (const entry of this.takeGroup(head)) {
          try {
            runs.push(entry.request());
            live.push(entry);
          } catch (e) {
            entry.fail(e);
          }
        }
        const outcomes = await this.write(runs);
        const before = behind;
        const continued = (async () => {
          if (before !== null) await before;
          await continueAll(live, outcomes);
        })();
        if (this.writer.many === null) await continued;
        // Group commit: the next group is written while these continuations run; theirs wait for these.
        else behind = continued;
      }
    } finally {
      this.draining = false;
    }
  }

  /** The apply at the head and the applies right behind it that fit one group (counted in frames and changes). */
  private takeGroup(head: ApplyEntry): ApplyEntry[] {
    const group = [head];
    if (this.writer.many === null) return group;
    let frames = head.sizes.length;
    let changes = sum(head.sizes);
    for (let next = this.entries[0]; next?.kind === 'apply'; next = this.entries[0]) {
      if (frames + next.sizes.length > MAX_GROUP_FRAMES || changes + sum(next.sizes) > MAX_GROUP_CHANGES) break;
      group.push(this.entries.shift() as ApplyEntry);
      frames += next.sizes.length;
      changes += sum(next.sizes);
    }
    return group;
  }

  /** Write the runs (grouped when there are several frames and the store can), one outcome per frame of each run. */
  private async write(runs: readonly (readonly FrameRequest[])[]): Promise<FrameOutcome[][]> {
    const all = runs.flat();
    if (all.length > 1 && this.writer.many !== null) {
      try {
        const outcomes = await this.writer.many(all);
        let at = 0;
        return runs.map((run) => outcomes.slice(at, (at += run.length)));
      } catch {
        // Rolled back whole: each frame again on its own, for its own outcome.
        return this.eachAlone(runs);
      }
    }
    if (runs.length === 1 && runs[0]!.length > 1 && this.writer.many === null) {
      const run = runs[0]!;
      try {
        return [splitOutcome(await this.writer.one(mergeRun(run)), run.map((f) => f.changes.length))];
      } catch {
        // As a failed group: each frame alone.
      }
    }
    return this.eachAlone(runs);
  }

  private async eachAlone(runs: readonly (readonly FrameRequest[])[]): Promise<FrameOutcome[][]> {
    const out: FrameOutcome[][] = [];
    for (const run of runs) {
      const outcomes: FrameOutcome[] = [];
      for (const f of run) {
        try {
          outcomes.push(await this.writer.one(f));
        } catch (e) {
          outcomes.push(asError(e));
        }
      }
      out.push(outcomes);
    }
    return out;
  }
}
