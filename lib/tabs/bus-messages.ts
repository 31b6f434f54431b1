/**
 * The messages tabs exchange over their BroadcastChannel, checked at the boundary. A `request` /
 * `answer` / `event` carries one main <-> worker protocol message in `msg`, which its receiver
 * checks in turn (the leader's host decodes it with io-ts; a follower's client checks its envelope
 * like any worker message). The check is written out by hand, like lib/client/worker-message.ts,
 * so io-ts stays off the main thread.
 *
 *   ping    any waiting tab -> the lock holder: "who leads?"
 *   leader  the lock holder -> all: its tab id, owner epoch, whether its engine is ready, its app schema version
 *   request follower -> leader (`to`): a client message (init, change_recorded, query, ...)
 *   answer  leader -> one follower (`to`): the answer to its request
 *   event   leader -> all followers: status, errors, changes_processed (`except`: its writer)
 */

type Base = { rsw: 1; from: string };
/** One message on the bus. */
export type BusEnvelope =
  | (Base & { kind: 'ping' })
  | (Base & { kind: 'leader'; epoch: number; ready: boolean; schemaVersion?: number })
  | (Base & { kind: 'request'; to: string; msg: unknown })
  | (Base & { kind: 'answer'; to: string; msg: unknown })
  | (Base & { kind: 'event'; msg: unknown; except?: string });

const isId = (u: unknown): u is string => typeof u === 'string' && u.length > 0 && u.length <= 128;
const isCount = (u: unknown): boolean => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0;
const isMsg = (u: unknown): boolean => typeof u === 'object' && u !== null && !Array.isArray(u) && typeof (u as { type?: unknown }).type === 'string';

/** The envelope, or null when it is not one of ours (another library version, garbage). */
export function checkBusEnvelope(raw: unknown): BusEnvelope | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const e = raw as Record<string, unknown>;
  if (e['rsw'] !== 1 || !isId(e['from'])) return null;
  switch (e['kind']) {
    case 'ping':
      return raw as BusEnvelope;
    case 'leader':
      return isCount(e['epoch']) && typeof e['ready'] === 'boolean' && (e['schemaVersion'] === undefined || isCount(e['schemaVersion'])) ? (raw as BusEnvelope) : null;
    case 'request':
    case 'answer':
      return isId(e['to']) && isMsg(e['msg']) ? (raw as BusEnvelope) : null;
    case 'event':
      return isMsg(e['msg']) && (e['except'] === undefined || isId(e['except'])) ? (raw as BusEnvelope) : null;
    default:
      return null;
  }
}
