/**
 * One dedicated PostgreSQL connection per node that LISTENs on the schema's channel: every commit
 * (another node's, a direct write's, this node's own) NOTIFYs its LSN there at COMMIT, in commit
 * order. A lost connection is opened again (after a delay that doubles up to 5 s); after each
 * (re)connect the caller is told to look at the log once, so a notification missed while it was
 * down is not a missed change.
 */
import type { Client, ClientConfig } from 'pg';
import { notifyChannel } from './pg-triggers.js';

/** What the listener tells its owner. */
export interface ListenerEvents {
  /** A commit up to `lsn` was notified (or, with null, look at the log: the listener (re)connected). */
  commit(lsn: number | null): void;
  /** The listener lost its connection (it retries by itself). */
  lost(error: Error): void;
}

/** LISTEN on the schema's channel until closed. */
export class PgListener {
  private client: Client | null = null;
  private closed = false;
  private retryMs = 100;
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly make: () => Client,
    private readonly channel: string,
    private readonly events: ListenerEvents,
  ) {}

  /** Connect and LISTEN; resolves once listening (the first connection must work). */
  static async start(ClientClass: new (config: ClientConfig) => Client, config: ClientConfig, schema: string, events: ListenerEvents): Promise<PgListener> {
    const l = new PgListener(() => new ClientClass(config), notifyChannel(schema), events);
    await l.connect();
    return l;
  }

  private async connect(): Promise<void> {
    const c = this.make();
    c.on('notification', (n) => {
      const lsn = Number(n.payload);
      if (n.channel === this.channel && Number.isSafeInteger(lsn)) this.events.commit(lsn);
    });
    c.on('error', (e) => this.drop(c, e));
    c.on('end', () => this.drop(c, new Error('listener connection ended')));
    await c.connect();
    await c.query(`LISTEN "${this.channel}"`);
    if (this.closed) {
      await c.end().catch(() => undefined);
      return;
    }
    this.client = c;
    this.retryMs = 100;
    this.events.commit(null);
  }

  private drop(c: Client, e: Error): void {
    if (this.client !== c || this.closed) return;
    this.client = null;
    this.events.lost(e);
    c.end().catch(() => undefined);
    this.retry();
  }

  private retry(): void {
    // The node's own lifecycle timer (not protocol logic): reconnect the listener.
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect().catch((e: unknown) => {
        this.events.lost(e as Error);
        this.retryMs = Math.min(this.retryMs * 2, 5000);
        if (!this.closed) this.retry();
      });
    }, this.retryMs);
    this.timer.unref();
  }

  /** Stop listening and close the connection. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => undefined);
  }
}
