/**
 * Relaying what this node did not commit itself (another node on the same PostgreSQL, a write
 * straight into the tables) to this node's clients. The storage tells of such commits
 * (`onForeignCommit`, from LISTEN/NOTIFY); the relay reads the log after the last LSN it sent,
 * in the hub's serial order (so it interleaves correctly with this node's own broadcasts), and
 * hands each page (byte-bounded) to its delivery: on an open server one `server_changes` frame for
 * every handshaken connection ({@link sendToAll}); with access rules the access-filtered fan-out
 * (access-control.ts `broadcastForeign`). SQLite never calls it.
 */
import type { Page, SyncStorage } from './types.js';

/** Runs `task` after every task queued before it (the hub's serial queue). */
interface Serial {
  serial<T>(task: () => Promise<T> | T): Promise<T>;
}

/** What the relay needs of the hub's settings. */
interface RelaySettings {
  readonly store: Pick<SyncStorage, 'lsn' | 'readLog' | 'onForeignCommit'>;
  readonly limits: { readonly pageMaxBytes: number };
  readonly pageSize: number;
  readonly logger: { warn(message: string, context?: Record<string, unknown>): void };
}

/** A handshaken connection, as far as the relay is concerned. */
interface Receiver {
  sendRaw(frame: Buffer): void;
}

/** Sends a page of the log after `from` to this node's clients. */
export type Delivery = (from: number, page: Page) => void | Promise<void>;

/** The delivery of an open server: one frame per page, the same Buffer for every connection. */
export function sendToAll(ready: () => Iterable<Receiver>): Delivery {
  return (from, page) => {
    const frame = Buffer.from(`{"type":"server_changes","prev_lsn":${from},"lsn":${page.lsn},"changes":[${page.changesJson.join(',')}]}`, 'utf8');
    for (const conn of ready()) conn.sendRaw(frame);
  };
}

/** Keeps the LSN sent to this node's clients and fills in what others committed. */
export class ForeignRelay {
  private sentLsn: number;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly settings: RelaySettings,
    hub: Serial,
    private readonly deliver: Delivery,
  ) {
    this.sentLsn = settings.store.lsn();
    this.unsubscribe = settings.store.onForeignCommit(() => {
      hub.serial(() => this.upTo(Infinity)).catch((e: unknown) => settings.logger.warn('relaying commits of other nodes failed (the next one retries)', { error: (e as Error).message }));
    });
  }

  /** Has someone else committed before `prevLsn` what was not sent yet? */
  behind(prevLsn: number): boolean {
    return prevLsn > this.sentLsn;
  }

  /** This node sent everything up to `lsn`. */
  sent(lsn: number): void {
    if (lsn > this.sentLsn) this.sentLsn = lsn;
  }

  /** Send the log after the last LSN sent, up to `until` (and the store's LSN). Call inside the hub's serial queue. */
  async upTo(until: number): Promise<void> {
    const { store, limits, pageSize } = this.settings;
    for (;;) {
      const end = Math.min(until, store.lsn());
      if (this.sentLsn >= end) return;
      const from = this.sentLsn;
      // LSNs are dense: asking for `end - from` changes stops exactly at `end`.
      const page = await store.readLog(from, Math.min(pageSize, end - from), limits.pageMaxBytes);
      if (page.changesJson.length === 0) return;
      await this.deliver(from, page);
      this.sent(page.lsn);
    }
  }

  /** Stop listening (the server is stopping). */
  stop(): void {
    this.unsubscribe();
  }
}
