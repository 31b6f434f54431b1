/**
 * A connection's own timers: cleared when it closes, never keeping the process alive, and sleeps
 * that wake early on close (so nothing stays pending after it).
 */
export class ConnectionTimers {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sleepers = new Set<() => void>();

  /** Run `fn` after `ms` (long waits are capped at setTimeout's limit: re-arm for longer). */
  after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, Math.min(ms, 2 ** 31 - 1));
    t.unref();
    this.timers.add(t);
  }

  /** Wait `ms`, or until {@link clear}. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.sleepers.delete(wake);
        resolve();
      };
      this.sleepers.add(wake);
      this.after(ms, wake);
    });
  }

  /** Cancel every timer and wake every sleeper (the connection is closing). */
  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const wake of [...this.sleepers]) wake();
  }
}
