/**
 * Group commit: committed transactions are buffered and written to the medium by ONE writer
 * loop. While a write is in flight, every transaction committed meanwhile joins the next write,
 * so N concurrent records cost about two medium writes, not N. Every `snapshotEvery`
 * transactions (or `snapshotBytes` of journal) the loop writes a snapshot instead, which
 * contains everything committed so far and empties the journal.
 */
import { ErrorCodes, PersistenceError, toSyncError } from '../errors.js';
import { encodeFrame } from './journal.js';
import type { Persistence } from './persistence.js';

/** Settings of the group committer. */
export interface GroupCommitOptions {
  /** Where frames and snapshots go. */
  persistence: Persistence;
  /** Export the database as a snapshot containing transactions up to `lastSeq` (synchronous). */
  exportSnapshot: (lastSeq: number) => Uint8Array;
  /** Sequence number of the last transaction already in the medium (snapshot or journal). */
  lastSeq: number;
  /** Take a snapshot after this many journaled transactions. */
  snapshotEvery: number;
  /** ... or after this many journal bytes. */
  snapshotBytes: number;
  /** Reports a failed write (the data stays buffered and is written again on the next flush). */
  onError: (error: PersistenceError) => void;
}

/** Counters, for metrics and tests. */
export interface DurabilityStats {
  /** Transactions committed (journaled) since open. */
  transactions: number;
  /** Journal writes (medium appends). */
  journalWrites: number;
  /** Journal bytes written. */
  journalBytes: number;
  /** Snapshots written. */
  snapshots: number;
  /** Sequence number of the last durable transaction. */
  durableSeq: number;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** The group committer of one store. */
export class GroupCommitter {
  private buffer: string[] = [];
  private committedSeq: number;
  private durableSeq: number;
  private waiters: Waiter[] = [];
  /** True while the writer loop runs (set and cleared synchronously, so no commit is stranded). */
  private active = false;
  private snapshotWanted = false;
  private txSinceSnapshot = 0;
  private bytesSinceSnapshot = 0;
  private readonly counters = { transactions: 0, journalWrites: 0, journalBytes: 0, snapshots: 0 };

  constructor(private readonly options: GroupCommitOptions) {
    this.committedSeq = options.lastSeq;
    this.durableSeq = options.lastSeq;
  }

  /** Buffer one committed transaction's operations; the writer loop persists it soon. */
  commit(ops: readonly string[]): number {
    const seq = ++this.committedSeq;
    this.buffer.push(`[${seq},[${ops.join(',')}]]`);
    this.counters.transactions++;
    this.txSinceSnapshot++;
    this.kick();
    return seq;
  }

  /** Resolves once every transaction committed so far is durable; rejects if a write fails. */
  whenDurable(): Promise<void> {
    if (this.durableSeq >= this.committedSeq) return Promise.resolve();
    const seq = this.committedSeq;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
    this.kick();
    return done;
  }

  /** Write a snapshot soon (after a migration, a repaired journal, or on request); resolves when written. */
  snapshot(): Promise<void> {
    this.snapshotWanted = true;
    // A snapshot covers everything committed: wait for it like for a commit.
    const seq = this.committedSeq;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
    this.kick();
    return done;
  }

  /** Sequence number of the last transaction handed to {@link commit}. */
  lastCommitted(): number {
    return this.committedSeq;
  }

  /** Sequence number up to which every transaction is persisted. */
  lastDurable(): number {
    return this.durableSeq;
  }

  /** Counters since open. */
  stats(): DurabilityStats {
    return { ...this.counters, durableSeq: this.durableSeq };
  }

  private kick(): void {
    if (this.active) return;
    this.active = true;
    // Start on a microtask: every transaction committed in the current synchronous run joins the first write.
    void Promise.resolve().then(() => this.loop());
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        const due = this.snapshotWanted || this.txSinceSnapshot >= this.options.snapshotEvery || this.bytesSinceSnapshot >= this.options.snapshotBytes;
        if (due) {
          if (!(await this.writeSnapshot())) return;
        } else if (this.buffer.length > 0) {
          if (!(await this.writeJournal())) return;
        } else {
          return;
        }
      }
    } finally {
      // Runs in the same tick as the decision to stop: a commit after this starts a new loop.
      this.active = false;
    }
  }

  private async writeJournal(): Promise<boolean> {
    const txs = this.buffer;
    const upTo = this.committedSeq;
    this.buffer = [];
    const frame = encodeFrame(txs);
    try {
      await this.options.persistence.append(frame);
    } catch (cause) {
      // Keep the transactions: the next flush writes them again (the medium rolled its append back).
      this.buffer = txs.concat(this.buffer);
      this.fail(cause, 'journal write failed');
      return false;
    }
    this.counters.journalWrites++;
    this.counters.journalBytes += frame.length;
    this.bytesSinceSnapshot += frame.length;
    this.settle(upTo);
    return true;
  }

  private async writeSnapshot(): Promise<boolean> {
    const upTo = this.committedSeq;
    const absorbed = this.buffer;
    let bytes: Uint8Array;
    try {
      bytes = this.options.exportSnapshot(upTo);
    } catch (cause) {
      this.snapshotWanted = false;
      this.fail(cause, 'snapshot export failed');
      return false;
    }
    // The snapshot holds every buffered transaction: they need no journal write.
    this.buffer = [];
    try {
      await this.options.persistence.replaceSnapshot(bytes);
    } catch (cause) {
      this.buffer = absorbed.concat(this.buffer);
      this.snapshotWanted = false;
      this.fail(cause, 'snapshot write failed');
      return false;
    }
    this.counters.snapshots++;
    this.snapshotWanted = false;
    this.txSinceSnapshot = this.buffer.length;
    this.bytesSinceSnapshot = 0;
    this.settle(upTo);
    return true;
  }

  private settle(upTo: number): void {
    this.durableSeq = Math.max(this.durableSeq, upTo);
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.seq <= this.durableSeq) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  private fail(cause: unknown, what: string): void {
    // Taken over: another engine owns the database now; the code tells the host to stop.
    const code = cause instanceof PersistenceError && cause.code === ErrorCodes.STORE_TAKEN_OVER ? cause.code : ErrorCodes.PERSISTENCE;
    const error = new PersistenceError(code, `${what} (${this.options.persistence.name}): ${toSyncError(cause).message}`, { cause });
    // Every waiter depends on the transactions that failed (later ones come after them): reject all.
    // The data stays buffered; the next commit or whenDurable() tries again.
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w.reject(error);
    this.options.onError(error);
  }
}
