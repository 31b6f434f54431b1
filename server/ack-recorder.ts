/**
 * A connection's acks are coalesced: the latest acked LSN is written to the store at most once
 * per second, and once more when the connection closes (what `clients.last_lsn` and the
 * compaction horizon read).
 */
import type { HubSettings } from './hub.js';

/** How often a connection writes its acked LSN to the store (acks in between are coalesced). */
const ACK_FLUSH_MS = 1000;

export class AckRecorder {
  private lsn = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly settings: Pick<HubSettings, 'store' | 'logger'>,
    /** The client the acks are of; null while not handshaken (nothing is written then). */
    private readonly clientId: () => string | null,
  ) {}

  /** A new session (after a hello): nothing acked yet. */
  reset(): void {
    this.lsn = 0;
  }

  /** The client acked `lsn` (checked by the caller against the server's LSN). */
  note(lsn: number): void {
    this.lsn = Math.max(this.lsn, lsn);
    if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), ACK_FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Write the latest acked LSN now (a failure is logged: the next ack writes it again). */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const clientId = this.clientId();
    if (clientId === null || this.lsn === 0) return;
    const lsn = this.lsn;
    const { store, logger } = this.settings;
    void Promise.resolve()
      .then(() => store.clientAcked(clientId, lsn))
      .catch((e: unknown) => logger.warn('recording an ack failed', { client_id: clientId, error: (e as Error).message }));
  }
}
