/**
 * The main thread's check of a message from its sync worker. The worker is the library's own code
 * and builds every message from data it has already decoded (app input with io-ts, server frames
 * with io-ts), so the main thread checks the envelope only: an object whose `type` is one of the
 * worker's message types and whose `id`, where the type carries one, is a count. That keeps io-ts
 * and the codecs out of the app's main bundle. A message that fails the check (an app-owned worker
 * file that is not ours, a version mismatch) becomes a ProtocolError naming what was wrong.
 */
import { ProtocolError } from '../errors.js';
import type { WorkerToMain } from '../protocol/index.js';

/**
 * Every worker -> main message type, and whether its `id` is required (`true`), optional
 * (`false`). A spec keeps this list equal to the protocol's codec table.
 */
export const WORKER_MESSAGE_IDS: Readonly<Record<WorkerToMain['type'], boolean>> = {
  ready: true,
  changes_processed: false,
  query_result: true,
  status: false,
  error: false,
  token_request: true,
  closed: true,
  failed_result: true,
  metrics: false,
};

const isCount = (u: unknown): boolean => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0;

/** The message, or a ProtocolError naming the first thing wrong with its envelope. */
export function checkWorkerMessage(raw: unknown): WorkerToMain | ProtocolError {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return new ProtocolError('worker message is not an object');
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(WORKER_MESSAGE_IDS, type)) {
    return new ProtocolError(`unknown worker message type ${JSON.stringify(String(type).slice(0, 40))}`, { path: 'type' });
  }
  const id = (raw as { id?: unknown }).id;
  const required = WORKER_MESSAGE_IDS[type as WorkerToMain['type']];
  if ((required || id !== undefined) && !isCount(id)) return new ProtocolError(`worker message "${type}" has no valid id`, { path: 'id' });
  if (type === 'error' && !isSerializedError((raw as { error?: unknown }).error)) return new ProtocolError('worker error message carries no error', { path: 'error' });
  return raw as WorkerToMain;
}

function isSerializedError(u: unknown): boolean {
  if (typeof u !== 'object' || u === null) return false;
  const e = u as { code?: unknown; message?: unknown; name?: unknown };
  return typeof e.code === 'string' && typeof e.message === 'string' && typeof e.name === 'string';
}
