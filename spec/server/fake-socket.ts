/**
 * Stands in for a server-side `ws` socket in specs that drive a real connection without a
 * network: what the connection sends is kept (parsed), and frames given to `deliver` arrive in
 * one tick, as frames from one TCP read do.
 */
import { EventEmitter } from 'node:events';

/** A frame the connection sent, parsed. */
export type SentFrame = { type: string; [k: string]: unknown };

export class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readonly CONNECTING = 0;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: SentFrame[] = [];
  private waiting: { match: (f: SentFrame) => boolean; ok: () => void } | null = null;

  send(data: string | Buffer): void {
    const f = JSON.parse(String(data)) as SentFrame;
    this.sent.push(f);
    if (this.waiting?.match(f)) this.waiting.ok();
  }
  /** Resolves once a frame sent from now on matches. */
  sentUntil(match: (f: SentFrame) => boolean): Promise<void> {
    return new Promise((ok) => (this.waiting = { match, ok }));
  }
  /** Frames arriving together (one tick). */
  deliver(...frames: unknown[]): void {
    for (const f of frames) this.emit('message', Buffer.from(JSON.stringify(f)));
  }
  close(): void {
    this.readyState = 3;
    this.emit('close');
  }
  pause(): void {}
  resume(): void {}
  ping(): void {}
  terminate(): void {
    this.close();
  }
}
