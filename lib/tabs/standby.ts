/**
 * A follower tab's standby worker: started ahead with sql.js loading (`preload`), no database
 * opened, so that taking over after a failover starts warm. Costs one idle worker per follower
 * tab (`tabs: { standby: false }` turns it off).
 */
import type { Channel } from '../client/channel.js';

/** At most one worker started ahead. */
export class Standby {
  private ready: Promise<Channel> | null = null;

  constructor(private readonly enabled: boolean, private readonly openEngine: () => Promise<Channel>) {}

  /** Start one (if enabled and none yet). */
  prepare(wasmUrl: string | undefined): void {
    if (!this.enabled || this.ready) return;
    const ready = this.openEngine().then((worker) => {
      worker.post({ type: 'preload', ...(wasmUrl !== undefined && { wasmUrl }) });
      return worker;
    });
    this.ready = ready;
    // A standby that cannot start is no worse than none: the failover opens a new worker.
    ready.catch(() => {
      if (this.ready === ready) this.ready = null;
    });
  }

  /** The engine to lead with: the standby if there is one, else a new one. */
  take(): Promise<Channel> {
    const ready = this.ready;
    this.ready = null;
    return ready ? ready.catch(() => this.openEngine()) : this.openEngine();
  }

  /** Stop the standby (the tab closes). */
  drop(): void {
    void this.ready?.then((w) => w.terminate(), () => undefined);
    this.ready = null;
  }
}
