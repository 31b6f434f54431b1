/**
 * A connection's `client_change` frames, one RUN at a time (one frame, or several sent back to
 * back: change-run.ts): written in the server's one apply order (commit order is broadcast
 * order, even when the store answers asynchronously; applies waiting back to back may share a
 * transaction: apply-queue.ts), then each frame acked to its sender on its own, in order, then
 * the run's commits broadcast (one `server_changes` for the run when its LSNs follow each other).
 * A rejected change's row passes the rejected-row hook (access rules may hide it).
 */
import { ErrorCodes } from '../lib/errors.js';
import type { ClientChangeFrame, ErrorFrame } from '../lib/protocol/index.js';
import type { WriteCapture } from './access/writes.js';
import type { FrameOutcome } from './apply-queue.js';
import type { ClientConnection } from './connection.js';
import { jsonFrames } from './frames.js';
import type { Identity } from './handshake.js';
import type { HubContext, RejectedRowFn } from './hub.js';
import { broadcastsOf } from './run-outcomes.js';

/** How the frame's answers reach its sender. */
export interface ChangesReply {
  /** An already-serialised frame (the acks). */
  raw(frame: string): void;
  /** An `error` frame. */
  error(code: string, message: string, extra?: Partial<Pick<ErrorFrame, 'retryable' | 'change_ids'>>): void;
}

/**
 * Apply the run `frames` from `conn` (handshaken as `who`); resolves once each is acked and the
 * run is broadcast. With access rules a run is one frame (the capture of the rows before it and
 * the filtered broadcast are per frame: access/writes.ts).
 */
export async function applyClientChanges(hub: HubContext, conn: ClientConnection, who: Identity, frames: readonly ClientChangeFrame[], reply: ChangesReply): Promise<void> {
  const { limits, permit, access } = hub.settings;
  const first = frames[0]!;
  if (first.changes.length > limits.maxChangesPerFrame) {
    // A run never holds such a frame with others (its bounds are one frame's): refused alone.
    return reply.error(ErrorCodes.LIMIT, `${first.changes.length} changes in one frame (limit ${limits.maxChangesPerFrame}): nothing applied`);
  }
  if (access && frames.length > 1) throw new Error('a run of several frames with access rules');
  let capture: WriteCapture | null = null;
  await hub.applyInOrder(
    frames.map((f) => f.changes.length),
    () => {
      // Taken when the run's turn comes: the rows as they are right before it.
      capture = access?.capture(conn) ?? null;
      return frames.map((f) => ({ clientId: who.clientId, changes: f.changes, permit: capture?.permit ?? permit, sub: who.sub, known: who.known }));
    },
    async (outcomes) => {
      frames.forEach((f, k) => answer(hub, conn, who, f, outcomes[k]!, reply));
      for (const b of broadcastsOf(outcomes)) await hub.broadcastChanges(b.prevLsn, b.committed, capture);
    },
  );
}

/** A frame's answer to its sender: its acks (rejected rows through the hook), or, if the database failed, a retryable error naming its changes. */
function answer(hub: HubContext, conn: ClientConnection, who: Identity, frame: ClientChangeFrame, outcome: FrameOutcome, reply: ChangesReply): void {
  const { limits, logger, rejectedRow, access } = hub.settings;
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
}
