/**
 * The ONE reducer of the engine's status snapshot. Pure: `(status, event, now) -> status`.
 *
 * Connection states (`connection`):
 *
 * ```
 *                  transport: connecting        transport: handshaking
 *   disconnected ───────────────────► connecting ───────────────────► handshaking
 *        ▲   ▲                            ▲                              │
 *        │   │                            │ transport: connecting        │ transport: open, or
 *        │   │                            │ (socket dropped, retrying)   │ catchup_started
 *        │   │                            │                              ▼
 *        │   │  transport: closed    ┌────┴──────────────────────── catching_up ◄─┐
 *        │   └───────────────────────┤ (from any state)                  │        │ (open replayed
 *        │                           │                                   │ caught_up (last page
 *        │                           │                                   ▼  complete, or nothing
 *        └───────────────────────────┴──────────────────────────────── synced     to catch up)
 * ```
 *
 * `caught_up` while handshaking goes straight to `synced` (the welcome can come before the
 * transport reports `open`); `open` while catching_up or synced changes nothing; `caught_up`
 * after the connection dropped is ignored. Leaving the connection (closed / connecting) clears
 * `inFlight` (nothing is in flight on a dead socket) and `catchingUp`.
 */
import type { SyncStatusWire } from '../protocol/index.js';
import type { EngineEvent } from './events.js';
import type { TransportState } from './ports.js';

/** The status snapshot; encodes with `SyncStatusCodec` (lib/protocol/worker-messages.ts). */
export type SyncStatus = SyncStatusWire;

/** The snapshot before anything happened, from what the store says. */
export function initialStatus(lsn: number, pending: number, failed: number): SyncStatus {
  return { connection: 'disconnected', lsn, pending, failed, inFlight: 0, catchingUp: null, lastSyncedAt: null, lastError: null, stuck: false };
}

/** The next status after `event` at time `now` (ms). Returns `status` itself when nothing changes. */
export function reduceStatus(status: SyncStatus, event: EngineEvent, now: number): SyncStatus {
  switch (event.type) {
    case 'transport':
      return onTransport(status, event.state);
    case 'catchup_started':
      // A welcome from a server ahead of us: pages follow.
      return { ...status, connection: 'catching_up', catchingUp: { from: event.from, to: event.to, done: event.from } };
    case 'caught_up':
      // Ignored once the connection is gone: a late page must not claim "synced".
      if (status.connection === 'disconnected' || status.connection === 'connecting') return { ...status, lsn: event.lsn };
      return { ...status, connection: 'synced', catchingUp: null, lsn: event.lsn, lastSyncedAt: now };
    case 'batch_applied': {
      const catchingUp = status.catchingUp
        ? { ...status.catchingUp, done: event.progress ?? event.lsn, to: Math.max(status.catchingUp.to, event.lsn) }
        : null;
      return { ...status, lsn: event.lsn, catchingUp, lastSyncedAt: status.connection === 'synced' ? now : status.lastSyncedAt };
    }
    case 'acked':
      return status.connection === 'synced' ? { ...status, lastSyncedAt: now } : status;
    case 'sent':
      return { ...status, inFlight: status.inFlight + event.change_ids.length };
    case 'settled':
      return { ...status, inFlight: Math.max(0, status.inFlight - 1) };
    case 'counts':
      return { ...status, pending: event.pending, failed: event.failed };
    case 'stuck':
      return { ...status, stuck: event.stuck };
    case 'error':
      return { ...status, lastError: event.error.toJSON() };
    default:
      // recorded, attempt, failed, batch_skipped, processed: no field of the snapshot moves
      // (their effect on counts arrives as a `counts` event).
      return status;
  }
}

/** Apply the events of one turn in order. */
export function reduceStatusAll(status: SyncStatus, events: readonly EngineEvent[], now: number): SyncStatus {
  return events.reduce((s, e) => reduceStatus(s, e, now), status);
}

function onTransport(status: SyncStatus, state: TransportState): SyncStatus {
  switch (state) {
    case 'closed':
      return { ...status, connection: 'disconnected', inFlight: 0, catchingUp: null };
    case 'connecting':
      return { ...status, connection: 'connecting', inFlight: 0, catchingUp: null };
    case 'handshaking':
      return { ...status, connection: 'handshaking', inFlight: 0, catchingUp: null };
    case 'open':
      // The handshake is done; catch-up decides when we are synced.
      if (status.connection === 'synced' || status.connection === 'catching_up') return status;
      return { ...status, connection: 'catching_up' };
  }
}
