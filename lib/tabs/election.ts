/**
 * Leader election with the Web Locks API: one exclusive lock per database name. The tab whose
 * request is granted leads until it releases the lock (close), its tab goes away (the browser
 * releases it), or another tab steals it (a frozen leader, see role-machine.ts). Waiting tabs
 * queue on the same lock, so the next one is granted the moment the leader goes.
 */

/** What the election needs of `navigator.locks` (typed structurally). */
export interface LocksLike {
  request(name: string, options: { steal?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => Promise<unknown>): Promise<unknown>;
}

/** Callbacks of an {@link Election}. */
export interface ElectionHooks {
  /** This tab holds the lock now. */
  granted(): void;
  /** The lock this tab held was taken from it (stolen). */
  lost(): void;
}

/** One tab's part in the election for one database. */
export class Election {
  private pending: AbortController | null = null;
  private release: (() => void) | null = null;
  private ended = false;
  /** Bumped per request: a late callback of an older request is ignored. */
  private generation = 0;

  constructor(private readonly locks: LocksLike, private readonly name: string, private readonly hooks: ElectionHooks) {}

  /** Queue for the lock (or take it at once with `steal`, dropping the queued request). */
  request(steal = false): void {
    if (this.ended || this.release) return;
    this.pending?.abort();
    this.pending = null;
    const generation = ++this.generation;
    const abort = steal ? null : new AbortController();
    this.pending = abort;
    let held = false;
    const options = steal ? { steal: true } : { signal: abort!.signal };
    this.locks
      .request(this.name, options, () => {
        if (this.ended || generation !== this.generation) return Promise.resolve();
        held = true;
        this.pending = null;
        return new Promise<void>((resolve) => {
          this.release = resolve;
          this.hooks.granted();
        });
      })
      .then(
        () => undefined,
        () => {
          // Rejected: aborted while queued (nothing held), or stolen while held.
          if (!held) return;
          this.release = null;
          if (!this.ended) this.hooks.lost();
        },
      );
  }

  /** Holds the lock right now. */
  holds(): boolean {
    return this.release !== null;
  }

  /** Give the lock up (or stop waiting for it) for good. */
  end(): void {
    this.ended = true;
    this.pending?.abort();
    this.pending = null;
    this.release?.();
    this.release = null;
  }
}
