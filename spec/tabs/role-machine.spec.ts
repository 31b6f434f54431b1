/** The pure role machine of lib/tabs (no clock, no lock, no channel: `now` is given). */
import { initialRole, stepRole, type RoleEvent, type RoleState } from '../../lib/tabs/role-machine.js';

const config = { stealAfter: 5000 };
function run(events: RoleEvent[], from: RoleState = initialRole(0)) {
  let state = from;
  const actions: string[][] = [];
  for (const e of events) {
    const r = stepRole(state, e, config);
    state = r.state;
    actions.push([...r.actions]);
  }
  return { state, actions };
}

describe('tab role machine', () => {
  it('lock granted: leader; engine ready: announce and resend', () => {
    const r = run([{ type: 'lock_granted', now: 10 }, { type: 'engine_ready', epoch: 3, now: 20 }]);
    expect(r.state.role).toBe('leader');
    expect(r.state.epoch).toBe(3);
    expect(r.actions).toEqual([['start_engine', 'role_changed'], ['announce', 'resend']]);
  });

  it('a ready leader heard: follower, resend to it; a starting one only counts as alive', () => {
    const r = run([
      { type: 'heard', tab: 'L', epoch: 0, ready: false, now: 100 },
      { type: 'heard', tab: 'L', epoch: 2, ready: true, now: 200 },
      { type: 'heard', tab: 'L', epoch: 2, ready: true, now: 300 },
    ]);
    expect(r.state).toEqual({ role: 'follower', leader: { tab: 'L', epoch: 2 }, epoch: 0, seenEpoch: 2, heardAt: 300, stealing: false });
    expect(r.actions).toEqual([[], ['resend', 'role_changed'], []]);
  });

  it('a stale leader (lower epoch, e.g. one that lost its lock while frozen) is never followed', () => {
    const r = run([
      { type: 'heard', tab: 'NEW', epoch: 5, ready: true, now: 1 },
      { type: 'heard', tab: 'OLD', epoch: 4, ready: true, now: 2 },
    ]);
    expect(r.state.leader).toEqual({ tab: 'NEW', epoch: 5 });
    expect(r.actions[1]).toEqual([]);
  });

  it('no lock holder heard for stealAfter: steal once; granted: lead', () => {
    const r = run([
      { type: 'heard', tab: 'L', epoch: 1, ready: true, now: 1000 },
      { type: 'tick', now: 5999 },
      { type: 'tick', now: 6000 },
      { type: 'tick', now: 7000 },
      { type: 'lock_granted', now: 7100 },
    ]);
    expect(r.actions).toEqual([['resend', 'role_changed'], [], ['steal'], [], ['start_engine', 'role_changed']]);
    expect(r.state.stealing).toBe(false);
    expect(r.state.role).toBe('leader');
  });

  it('a leader never steals; it loses the lock: stop the engine and queue again', () => {
    const r = run([{ type: 'lock_granted', now: 0 }, { type: 'tick', now: 60_000 }, { type: 'lock_lost', now: 60_001 }]);
    expect(r.actions).toEqual([['start_engine', 'role_changed'], [], ['stop_engine', 'request_lock', 'role_changed']]);
    expect(r.state.role).toBe('electing');
  });

  it('a ready leader that hears a newer ready leader stops writing and follows it (before its lock loss arrives)', () => {
    const r = run([
      { type: 'lock_granted', now: 0 },
      { type: 'engine_ready', epoch: 1, now: 1 },
      { type: 'heard', tab: 'L2', epoch: 1, ready: true, now: 2 },
      { type: 'heard', tab: 'L2', epoch: 2, ready: true, now: 3 },
    ]);
    expect(r.actions.slice(2)).toEqual([[], ['stop_engine', 'request_lock', 'resend', 'role_changed']]);
    expect(r.state.leader).toEqual({ tab: 'L2', epoch: 2 });
  });

  it('a ready leader on an older app schema version is taken over (steal once); a newer one is followed', () => {
    const v2 = { stealAfter: 5000, schemaVersion: 2 };
    let r = stepRole(initialRole(0), { type: 'heard', tab: 'OLD', epoch: 1, ready: true, now: 1, schemaVersion: 1 }, v2);
    expect(r.actions).toEqual(['resend', 'role_changed', 'steal']);
    r = stepRole(r.state, { type: 'heard', tab: 'OLD', epoch: 1, ready: true, now: 2, schemaVersion: 1 }, v2);
    expect(r.actions).toEqual([]);
    const v1 = stepRole(initialRole(0), { type: 'heard', tab: 'NEW', epoch: 2, ready: true, now: 1, schemaVersion: 2 }, { stealAfter: 5000, schemaVersion: 1 });
    expect(v1.actions).toEqual(['resend', 'role_changed']);
  });

  it('closed is final', () => {
    const r = run([{ type: 'close' }, { type: 'lock_granted', now: 1 }, { type: 'tick', now: 99_999 }]);
    expect(r.state.role).toBe('closed');
    expect(r.actions).toEqual([['role_changed'], [], []]);
  });
});
