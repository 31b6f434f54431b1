/**
 * Options and environment of the tabs mode (many tabs, one database: lib/tabs).
 */
import type { SchedulerLike } from 'rxjs';
import type { BroadcastLike } from './bus.js';
import type { LocksLike } from './election.js';

/** The `tabs` option of createSyncClient. */
export interface TabsOptions {
  /**
   * Ms without hearing the leader tab before a waiting tab steals its lock and takes over (a frozen
   * or hung leader; the old leader stops writing the moment it learns). Default 5000.
   */
  stealAfter?: number;
  /** Ms between a waiting tab's pings to the leader (default 1000, at most stealAfter / 2). */
  heartbeat?: number;
  /**
   * A follower keeps a standby worker with sql.js loaded (no database opened), so that taking over
   * starts warm. Default true; `false` saves the idle worker per follower tab.
   */
  standby?: boolean;
}

/** What the tabs mode takes from its environment (injected, so specs can pass their own). */
export interface TabsRuntime {
  /** `navigator.locks`. */
  readonly locks: LocksLike;
  /** `new BroadcastChannel(name)`. */
  readonly openBus: (name: string) => BroadcastLike;
  /** Heartbeat timer and the `now` of the role machine. */
  readonly scheduler: SchedulerLike;
  /** Tab ids and the change_ids a tab fixes for its writes. */
  readonly newId: () => string;
}
