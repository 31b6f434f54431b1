/**
 * A run of one sender's `client_change` frames (change-run.ts) written as ONE `applyChanges`
 * call, and its outcome told back per frame; and the commits of a run's frames as broadcasts.
 *
 * Why one call answers as frame after frame would: the frames have one sender (client id, token
 * subject, permission hook and known columns are the connection's), the store dedupes by
 * (client_id, change_id) within a call as across calls (a change sent twice in one frame is
 * `duplicate` with the first one's LSN: storage/sqlite-apply.ts), and every check reads the rows
 * as the changes before it left them, in change order. The only difference: the frames share one
 * `created_at` reading (as a group commit's frames do).
 */
import type { ServerChange } from '../lib/protocol/index.js';
import type { ApplyOutcome } from './store.js';
import type { FrameRequest } from './storage/types.js';

/** The frames of a run as one request: their changes in order (all frames must have the same sender). */
export function mergeRun(frames: readonly FrameRequest[]): FrameRequest {
  const first = frames[0]!;
  for (const f of frames) {
    if (f.clientId !== first.clientId || f.sub !== first.sub || f.permit !== first.permit || f.known !== first.known) {
      throw new Error('mergeRun: the frames of a run must come from one sender');
    }
  }
  return { ...first, changes: frames.flatMap((f) => f.changes) };
}

/**
 * The outcome of a merged run as each frame's own, `sizes` being their change counts: its acks
 * (acks are in change order), its commits (one per `applied` ack, in the same order) and the LSN
 * before them.
 */
export function splitOutcome(merged: ApplyOutcome, sizes: readonly number[]): ApplyOutcome[] {
  if (merged.acks.length !== sizes.reduce((a, b) => a + b, 0)) throw new Error('splitOutcome: one ack per change expected');
  const out: ApplyOutcome[] = [];
  let ack = 0;
  let commit = 0;
  for (const size of sizes) {
    const acks = merged.acks.slice(ack, (ack += size));
    const applied = acks.reduce((n, a) => n + (a.status === 'applied' ? 1 : 0), 0);
    const prevLsn = commit === 0 ? merged.prevLsn : merged.committed[commit - 1]!.lsn;
    out.push({ acks, committed: merged.committed.slice(commit, (commit += applied)), prevLsn });
  }
  return out;
}

/** One broadcast: changes committed right after `prevLsn`, in LSN order. */
export interface Broadcast {
  readonly prevLsn: number;
  readonly committed: readonly ServerChange[];
}

/**
 * The commits of a run's frames (their outcomes in order; a failed frame committed nothing) as
 * few broadcasts as keep every `prev_lsn` true: a frame whose commits follow the previous ones
 * with no LSN between them joins their broadcast, else (another node committed in between on
 * PostgreSQL) it starts the next one.
 */
export function broadcastsOf(outcomes: readonly (ApplyOutcome | Error)[]): Broadcast[] {
  const out: { prevLsn: number; committed: ServerChange[] }[] = [];
  for (const o of outcomes) {
    if (o instanceof Error || o.committed.length === 0) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.committed[last.committed.length - 1]!.lsn === o.prevLsn) last.committed.push(...o.committed);
    else out.push({ prevLsn: o.prevLsn, committed: [...o.committed] });
  }
  return out;
}
