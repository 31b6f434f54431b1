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
