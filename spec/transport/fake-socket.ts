/**
 * A fake WebSocket constructor for the transport's unit specs: records every socket the
 * transport dials (with the virtual time of the dial) and lets the spec play the server.
 */
import type { SchedulerLike } from 'rxjs';
import type { SocketListener, WebSocketLike } from '../../lib/transport/types.js';

/** One fake socket; the spec plays the server side. */
export interface FakeSocket extends WebSocketLike {
  /** Writable so a spec can put the socket in CLOSING before its close event. */
  readyState: number;
  readonly url: string;
  /** Scheduler time at which the transport dialled it. */
  readonly dialledAt: number;
  /** Text frames the client sent. */
  readonly sent: string[];
  /** How the client closed it, if it did. */
  closedWith: { code?: number; reason?: string; terminated: boolean } | null;
  /** Frames the client sent, parsed. */
  frames(): Array<{ type: string } & Record<string, unknown>>;
  /** Server side: accept the connection. */
  open(): void;
  /** Server side: send a frame (object -> JSON, string as is). */
  receive(frame: object | string): void;
  /** Server side: close (or the network drops it: 1006). */
  drop(code?: number, reason?: string): void;
  /** A socket error followed by close 1006, as browsers and `ws` report a refused connection. */
  fail(message: string): void;
}

/** A fake constructor plus the list of sockets it made. */
export function fakeSockets(scheduler: SchedulerLike): { FakeSocket: new (url: string) => FakeSocket; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];

  class Fake implements FakeSocket {
    readyState = 0;
    readonly dialledAt = scheduler.now();
    readonly sent: string[] = [];
    closedWith: FakeSocket['closedWith'] = null;
    private readonly listeners = new Map<string, SocketListener[]>();

    constructor(readonly url: string) {
      sockets.push(this);
    }
    addEventListener(type: string, listener: SocketListener): void {
      this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
    }
    send(data: string): void {
      if (this.readyState !== 1) throw new Error('fake socket not open');
      this.sent.push(data);
    }
    close(code?: number, reason?: string): void {
      this.closedWith = { code, reason, terminated: false };
      this.readyState = 2;
    }
    terminate(): void {
      this.closedWith = { terminated: true };
      this.readyState = 3;
    }
    frames() {
      return this.sent.map((s) => JSON.parse(s) as { type: string } & Record<string, unknown>);
    }
    open(): void {
      this.readyState = 1;
      this.emit('open', {});
    }
    receive(frame: object | string): void {
      this.emit('message', { data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
    }
    drop(code = 1006, reason = ''): void {
      this.readyState = 3;
      this.emit('close', { code, reason, wasClean: code !== 1006 });
    }
    fail(message: string): void {
      this.emit('error', { message });
      this.drop(1006);
    }
    private emit(type: string, event: object): void {
      for (const l of this.listeners.get(type) ?? []) l({ type, ...event });
    }
  }

  return { FakeSocket: Fake, sockets };
}
