/**
 * The store's persistence errors (a corrupt journal tail found on open, failed writes): the most
 * recent ones kept for whoever asks later, and each told to the listeners as it happens.
 */
import type { SyncError } from '../errors.js';

/** Most recent errors kept. */
const MAX_ERRORS = 100;

export class ErrorLog {
  private readonly recent: SyncError[];
  private readonly listeners = new Set<(e: SyncError) => void>();

  /** @param initial errors found before the store existed (while opening) */
  constructor(initial: readonly SyncError[]) {
    this.recent = initial.slice(-MAX_ERRORS);
  }

  /** Recent errors, oldest first. */
  get errors(): readonly SyncError[] {
    return this.recent;
  }

  /** Be told about each error from now on. Returns a function that unsubscribes. */
  onError(listener: (e: SyncError) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Keep `error` and tell every listener. */
  report(error: SyncError): void {
    this.recent.push(error);
    if (this.recent.length > MAX_ERRORS) this.recent.shift();
    for (const l of this.listeners) l(error);
  }
}
