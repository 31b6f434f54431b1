/**
 * A connection's `client_change` frame: written in the server's one apply order (commit order is
 * broadcast order, even when the store answers asynchronously; frames waiting back to back may
 * share a transaction: apply-queue.ts), then acked to its sender and broadcast. A rejected
 * change's row passes the rejected-row hook (access rules may hide it).
 */
import { ErrorCodes } from '../lib/errors.js';
import type { ClientChangeFrame, ErrorFrame } from '../lib/protocol/index.js';
import type { WriteCapture } from './access/writes.js';
import type { ClientConnection } from './connection.js';
import { jsonFrames } from './frames.js';
import type { Identity } from './handshake.js';
import type { HubContext, RejectedRowFn } from './hub.js';

/** How the frame's answers reach its sender. */
export interface ChangesReply {
  /** An already-serialised frame (the acks). */
  raw(frame: string): void;
  /** An `error` frame. */
  error(code: string, message: string, extra?: Partial<Pick<ErrorFrame, 'retryable' | 'change_ids'>>): void;
}

/** Apply `frame` from `conn` (handshaken as `who`); resolves once it is acked and broadcast. */
export async function applyClientChanges(hub: HubContext, conn: ClientConnection, who: Identity, frame: ClientChangeFrame, reply: ChangesReply): Promise<void> {
  const { limits, logger, permit, rejectedRow, access } = hub.settings;
  if (frame.changes.length > limits.maxChangesPerFrame) {
    return reply.error(ErrorCodes.LIMIT, `${frame.changes.length} changes in one frame (limit ${limits.maxChangesPerFrame}): nothing applied`);
  }
  let capture: WriteCapture | null = null;
  await hub.applyInOrder(
    frame.changes.length,
    () => {
      // Taken when the frame's turn comes: the rows as they are right before it.
      capture = access?.capture(conn) ?? null;
      return { clientId: who.clientId, changes: frame.changes, permit: capture?.permit ?? permit, sub: who.sub, known: who.known };
    },
    async (outcome) => {
      if (outcome instanceof Error) {
        // The database itself failed: the frame was rolled back whole; the client retries it.
        logger.error('applying a frame failed', { client_id: who.clientId, error: outcome.message });
        return reply.error(ErrorCodes.SERVER_TRANSIENT, `could not apply the frame: ${outcome.message}`, {
          retryable: true,
          change_ids: frame.changes.map((c) => c.change_id),
        });
      }
      let acks = outcome.acks;
      if (acks.some((a) => a.status === 'rejected')) {
        const byId = new Map(frame.changes.map((c) => [c.change_id, c]));
        const shown: RejectedRowFn = access ? (c, _who, row) => access.rejectedRow(conn, c.entity, row) : rejectedRow;
        acks = acks.map((a) => (a.status === 'rejected' ? { ...a, row: shown(byId.get(a.change_id)!, who, a.row) } : a));
      }
      for (const f of jsonFrames('{"type":"change_ack","acks":[', acks, ']}', limits.pageMaxBytes)) reply.raw(f);
      if (outcome.committed.length > 0) await hub.broadcastChanges(outcome.prevLsn, outcome.committed, capture);
    },
  );
}
