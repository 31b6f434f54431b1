/**
 * The role of one tab among the tabs that share a database: a pure state machine. It is given
 * `now` with every event and returns the next state and what to do; it reads no clock, starts no
 * timer and touches no lock or channel (tab-channel.ts does, and feeds the results back).
 *
 *                       lock granted
 *      +----------+ ----------------------------------------> +--------+
 *      | electing |                                            | leader | -- engine ready: announce, resend
 *      +----------+ <--------------------------------------- +--------+
 *        |    ^          lock lost (stolen), or a newer         |
 *  heard |    |          ready leader heard: stop engine,       | close
 *  ready |    | lock     queue for the lock again               v
 * leader |    | granted                                     +--------+
 *        v    |                                             | closed |
 *      +----------+  heard a newer ready leader: resend     +--------+
 *      | follower | ----+
 *      +----------+ <---+
 *   (electing / follower) no lock holder heard for `stealAfter` ms: steal the lock (frozen leader)
 *   (electing / follower) a ready leader runs an OLDER app schema version: steal the lock (an app
 *                         update: the newest tab's engine migrates the database and leads)
 *
 * Leaders are ordered by the store's owner epoch (each open of the database claims a higher one),
 * so a late announcement from a leader that lost its lock while frozen is never followed.
 */

/** Where this tab stands. */
export type TabRole = 'electing' | 'follower' | 'leader' | 'closed';

/** The leader a follower sends to. */
export interface LeaderRef {
  readonly tab: string;
  readonly epoch: number;
}

/** The machine's state. */
export interface RoleState {
  readonly role: TabRole;
  /** A follower's leader (null while electing or leading). */
  readonly leader: LeaderRef | null;
  /** This tab's own epoch while it leads with a ready engine (0 = starting). */
  readonly epoch: number;
  /** The highest epoch of a ready leader seen so far. */
  readonly seenEpoch: number;
  /** When a lock holder (any tab) was last heard. */
  readonly heardAt: number;
  /** A steal was asked for and not granted yet. */
  readonly stealing: boolean;
}

/** What happened. */
export type RoleEvent =
  | { type: 'lock_granted'; now: number }
  | { type: 'lock_lost'; now: number }
  | { type: 'engine_ready'; epoch: number; now: number }
  | { type: 'heard'; tab: string; epoch: number; ready: boolean; now: number; schemaVersion?: number }
  | { type: 'tick'; now: number }
  | { type: 'close' };

/** What the caller must do. */
export type RoleAction = 'start_engine' | 'stop_engine' | 'request_lock' | 'steal' | 'announce' | 'resend' | 'role_changed';

/** Settings. */
export interface RoleConfig {
  /** Ms without hearing any lock holder before a waiting tab steals the lock. */
  readonly stealAfter: number;
  /** This tab's app schema version: a leader on an older one is taken over (default 1). */
  readonly schemaVersion?: number;
}

/** The result of one step. */
export interface RoleStep {
  readonly state: RoleState;
  readonly actions: readonly RoleAction[];
}

/** The first state (the lock is requested right away). */
export function initialRole(now: number): RoleState {
  return { role: 'electing', leader: null, epoch: 0, seenEpoch: 0, heardAt: now, stealing: false };
}

/** One step of the machine. */
export function stepRole(s: RoleState, e: RoleEvent, config: RoleConfig): RoleStep {
  if (s.role === 'closed') return { state: s, actions: [] };
  switch (e.type) {
    case 'close':
      return { state: { ...s, role: 'closed', leader: null }, actions: ['role_changed'] };
    case 'lock_granted':
      if (s.role === 'leader') return { state: s, actions: [] };
      return { state: { ...s, role: 'leader', leader: null, epoch: 0, stealing: false, heardAt: e.now }, actions: ['start_engine', 'role_changed'] };
    case 'lock_lost':
      if (s.role !== 'leader') return { state: s, actions: [] };
      return { state: { ...s, role: 'electing', leader: null, epoch: 0, heardAt: e.now }, actions: ['stop_engine', 'request_lock', 'role_changed'] };
    case 'engine_ready':
      if (s.role !== 'leader') return { state: s, actions: [] };
      return { state: { ...s, epoch: e.epoch, seenEpoch: Math.max(s.seenEpoch, e.epoch) }, actions: ['announce', 'resend'] };
    case 'heard': {
      const step = heard(s, e);
      const older = e.ready && (e.schemaVersion ?? 1) < (config.schemaVersion ?? 1);
      if (!older || step.state.role === 'leader' || step.state.stealing) return step;
      return { state: { ...step.state, stealing: true }, actions: [...step.actions, 'steal'] };
    }
    case 'tick':
      if (s.role === 'leader' || s.stealing || e.now - s.heardAt < config.stealAfter) return { state: s, actions: [] };
      return { state: { ...s, stealing: true }, actions: ['steal'] };
  }
}

function heard(s: RoleState, e: { tab: string; epoch: number; ready: boolean; now: number }): RoleStep {
  const alive = { ...s, heardAt: e.now };
  if (!e.ready || e.epoch < s.seenEpoch) return { state: s.role === 'leader' ? s : alive, actions: [] };
  if (s.role === 'leader') {
    // A ready leader with a newer epoch opened the database after us: we lost, whatever the lock says yet.
    if (s.epoch === 0 || e.epoch <= s.epoch) return { state: s, actions: [] };
    return {
      state: { ...alive, role: 'follower', leader: { tab: e.tab, epoch: e.epoch }, epoch: 0, seenEpoch: e.epoch },
      actions: ['stop_engine', 'request_lock', 'resend', 'role_changed'],
    };
  }
  const same = s.leader !== null && s.leader.tab === e.tab && s.leader.epoch === e.epoch;
  if (same) return { state: alive, actions: [] };
  const next: RoleState = { ...alive, role: 'follower', leader: { tab: e.tab, epoch: e.epoch }, seenEpoch: e.epoch };
  return { state: next, actions: s.role === 'follower' ? ['resend'] : ['resend', 'role_changed'] };
}
