/**
 * A RUN: the `client_change` frames waiting right behind one in a connection's inbox, taken with
 * it so that together they make ONE trip through the ordered apply queue: one transaction, each
 * frame's acks in order, then one broadcast (client-changes.ts, apply-queue.ts). Under load
 * frames pile up in the inbox while one is handled; handling them one at a time, each with its
 * own transaction, acks and broadcast, is what made them queue there (bench/README.md, issue 18).
 *
 * A frame joins while the run stays within its bounds (frames, and changes: never more than one
 * frame may hold, so the output a run causes is bounded as a frame's is) and the connection
 * admits it (the token bucket is not in debt; admitting charges it). The first frame that does
 * not join stays in the inbox for its own turn.
 */
import { isLeft, type Either } from '../lib/protocol/either.js';
import type { ClientChangeFrame, ClientFrame } from '../lib/protocol/index.js';
import type { ProtocolError } from '../lib/errors.js';
import { MAX_GROUP_CHANGES, MAX_GROUP_FRAMES } from './apply-queue.js';
import type { HubSettings } from './hub.js';
import type { Lookahead } from './inbox.js';

/** A received frame, decoded. */
export type Decoded = Either<ProtocolError, ClientFrame>;

/** How big a run may grow. */
export interface RunBounds {
  readonly frames: number;
  readonly changes: number;
}

/**
 * A connection's run bounds: as many frames as the apply queue groups, and at most one frame's
 * changes. With access rules every frame is its own run (their capture and filtered broadcast
 * are per frame: access/writes.ts).
 */
export function runBounds(settings: Pick<HubSettings, 'access' | 'limits'>): RunBounds {
  return { frames: settings.access ? 1 : MAX_GROUP_FRAMES, changes: Math.min(MAX_GROUP_CHANGES, settings.limits.maxChangesPerFrame) };
}

/**
 * Decodes a connection's frames, each ONCE: a frame looked at ahead (to see whether it joins a
 * run) and left in the inbox is kept until it is read as the head of the next unit.
 */
export class FrameReader {
  private ahead: { readonly text: string; readonly decoded: Decoded } | null = null;

  constructor(private readonly decode: (text: string) => Decoded) {}

  /** The frame `text`, decoded (the one looked at ahead, if it is that frame). */
  read(text: string): Decoded {
    const ahead = this.ahead;
    this.ahead = null;
    // Same text, same verdict: decoding is a function of the text alone.
    return ahead !== null && ahead.text === text ? ahead.decoded : this.decode(text);
  }

  /** Decode a frame still in the inbox, and keep it for when it is read. */
  look(text: string): Decoded {
    const decoded = this.read(text);
    this.ahead = { text, decoded };
    return decoded;
  }
}

/**
 * The run that starts with `head` (taken already): the `client_change` frames behind it in
 * `rest`, in order, while they fit `bounds` and `admit` lets each in.
 */
export function takeRun(head: ClientChangeFrame, rest: Lookahead, reader: FrameReader, bounds: RunBounds, admit: (frame: ClientChangeFrame) => boolean): ClientChangeFrame[] {
  const run = [head];
  let changes = head.changes.length;
  for (let text = rest.peek(); text !== undefined && run.length < bounds.frames; text = rest.peek()) {
    const next = reader.look(text);
    if (isLeft(next) || next.right.type !== 'client_change') break;
    const frame = next.right;
    if (changes + frame.changes.length > bounds.changes || !admit(frame)) break;
    rest.take();
    reader.read(text);
    run.push(frame);
    changes += frame.changes.length;
  }
  return run;
}
