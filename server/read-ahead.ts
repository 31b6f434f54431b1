/**
 * Read-ahead of catch-up pages (issue 16, first sync; issue 18, catch-up). A client asks for the
 * next page only once it has DECODED the one it got (it needs that page's `lsn` or `cursor`), so
 * without this the server sat idle while the client decoded, and the client waited while the
 * server read. After sending a page that says more follows, the connection reads the page the
 * client will ask for next, and serves it when the request names exactly that page.
 *
 * A page read ahead is as valid as one read on request: each page is one consistent read, and a
 * row that changes after its page was read gets a newer version (snapshot) or a later LSN (log),
 * which a later page or the live stream brings. Bounded: one page per connection, and the pages
 * of all connections together hold at most the budget's bytes (each counts as a full page until
 * it is taken or dropped).
 *
 *   idle --start(key)--> reading/held --take(key)--> idle (served)
 *                            \--take(other key) / clear()--> idle (dropped)
 */
import type { Page } from './store.js';

/** The hub-wide byte budget of pages read ahead. */
export class ReadAheadBudget {
  private used = 0;

  /** @param limit most bytes of pages held for all connections together. */
  constructor(readonly limit: number) {}

  /** Reserve `bytes`; false (nothing reserved) when the budget cannot hold them. */
  reserve(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  /** Bytes reserved now. */
  get reserved(): number {
    return this.used;
  }
}

/** What identifies a page request: where from, how many, the snapshot cursor. */
export function pageKey(from: number, size: number, cursor: number | undefined): string {
  return `${from}:${size}:${cursor ?? ''}`;
}

/** One connection's page read ahead (at most one). */
export class PageReadAhead {
  private held: { key: string; page: Promise<Page | null> } | null = null;

  /**
   * @param budget the hub-wide budget.
   * @param pageBytes the most bytes one page holds (what a held page reserves).
   */
  constructor(
    private readonly budget: ReadAheadBudget,
    private readonly pageBytes: number,
  ) {}

  /**
   * Start reading the page `key` names (dropping any other), unless the budget is spent. `read`
   * runs after the current task (the page just sent goes out first); a read that fails is
   * forgotten (the request then reads again, and reports the failure).
   */
  start(key: string, read: () => Page | Promise<Page>): void {
    this.clear();
    if (!this.budget.reserve(this.pageBytes)) return;
    const page = Promise.resolve()
      .then(read)
      .catch(() => null);
    this.held = { key, page };
  }

  /** The page read ahead for `key` (null: none, or read for another request, which is dropped). */
  take(key: string): Promise<Page | null> | null {
    const held = this.held;
    if (held === null) return null;
    this.clear();
    return held.key === key ? held.page : null;
  }

  /** Drop the held page (the connection closes, or the client asked for another). */
  clear(): void {
    if (this.held === null) return;
    this.held = null;
    this.budget.release(this.pageBytes);
  }
}
