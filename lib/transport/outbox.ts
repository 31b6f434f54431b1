/**
 * The bounded buffer of outbound frames while the connection is not open.
 *
 * Policy when full: REFUSE the new frame (send() returns false), keep the older ones. The caller
 * learns exactly which frame was not buffered, and the frames already accepted go out in order.
 * Nothing is lost by refusing: changes are durable in `local_changes` and the engine re-sends
 * every unacknowledged change after the next handshake; `ack` and `sync_request` are re-derived
 * from the local LSN. The buffer only saves a round of re-sending after short drops.
 */

/** Frames (already JSON text) waiting for the connection, oldest first. */
export class Outbox {
  private frames: string[] = [];

  /** @param capacity most frames held (0 = buffer nothing). */
  constructor(private readonly capacity: number) {}

  /** Hold a frame; false (and nothing held) when the buffer is full. */
  push(frame: string): boolean {
    // Full: refuse the newcomer (see the module comment for why that loses nothing).
    if (this.frames.length >= this.capacity) return false;
    this.frames.push(frame);
    return true;
  }

  /** Take every held frame, oldest first, leaving the buffer empty. */
  drain(): string[] {
    const out = this.frames;
    this.frames = [];
    return out;
  }

  /** Frames held now. */
  get size(): number {
    return this.frames.length;
  }
}

/** How a serialised `client_change` frame starts (frames are built with `type` first). */
const CLIENT_CHANGE_PREFIX = '{"type":"client_change"';

/**
 * What of the held frames goes to the server that just said `welcome`: all of them to the server
 * the replica synced with (or when either id is unknown); to ANOTHER server (its database was
 * recreated) only the changes, which any server takes: the acks, requests and fetches were about
 * the old log (the engine derives new ones from its state).
 */
export function heldFor(held: readonly string[], known: string | null, welcomed: string | undefined): readonly string[] {
  if (known === null || welcomed === undefined || welcomed === known) return held;
  return held.filter((text) => text.startsWith(CLIENT_CHANGE_PREFIX));
}
