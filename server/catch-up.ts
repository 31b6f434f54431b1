/**
 * A connection's catch-up pages: the `sync_response` a `sync_request` gets (with access rules,
 * filtered for the connection; else from the page read ahead when it is the one asked for, or
 * read now), and the read of the page the client will ask for next (read-ahead.ts).
 */
import type { AccessPeer } from './access/access-control.js';
import type { HubContext } from './hub.js';
import { PageReadAhead, pageKey } from './read-ahead.js';

/** Serves one connection's catch-up. */
export class CatchUp {
  /** The catch-up page the client will ask for next, read while it decodes the last one. */
  private readonly ahead: PageReadAhead;

  constructor(
    private readonly hub: HubContext,
    /** The connection (access rules know it by this object). */
    private readonly peer: AccessPeer,
    /** Its client id (whose own changes a page puts as themselves: storage/types.ts readPage). */
    private readonly clientId: () => string | null,
  ) {
    this.ahead = new PageReadAhead(hub.readAhead, hub.settings.limits.pageMaxBytes);
  }

  /** The `sync_response` frame for a request from `from` of at most `size` changes (a snapshot goes on at `cursor`). */
  async page(from: number, size: number, cursor: number | undefined): Promise<string> {
    const { store, limits, access } = this.hub.settings;
    if (access) return access.pageFrame(this.peer, from, size, limits.pageMaxBytes);
    // issue 16: from 0, behind the horizon or with a cursor, the page is a snapshot page (storage/types.ts).
    const page = (await this.ahead.take(pageKey(from, size, cursor))) ?? (await store.readPage(from, size, limits.pageMaxBytes, cursor, this.clientId()));
    const more = page.cursor === undefined ? '' : `,"cursor":${page.cursor}`;
    // The page the client asks for next (a snapshot goes on from its cursor, the log from the page's LSN).
    if (!page.complete) this.readAhead(page.cursor === undefined ? page.lsn : from, size, page.cursor);
    return `{"type":"sync_response","from_lsn":${from},"lsn":${page.lsn},"changes":[${page.changesJson.join(',')}],"complete":${page.complete}${more}}`;
  }

  /** Read the page a `sync_request` (from, size, cursor) will ask for, before it comes. */
  readAhead(from: number, size: number, cursor: number | undefined): void {
    const { store, limits } = this.hub.settings;
    this.ahead.start(pageKey(from, size, cursor), () => store.readPage(from, size, limits.pageMaxBytes, cursor, this.clientId()));
  }

  /** Drop the page read ahead (the connection is closing). */
  clear(): void {
    this.ahead.clear();
  }
}
