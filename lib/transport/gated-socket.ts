/**
 * The WebSocket class handed to reconnecting-websocket (RWS). Each instance is one connection
 * attempt: it waits for a permit from the {@link DialGate}, then dials the real (injected)
 * WebSocket and forwards its `open`, `message` and `close` events.
 *
 * Why a wrapper (reconnecting-websocket 4.4.0, read from its dist source):
 * - its delays use `Math.random()` and real `setTimeout`, not our random source and scheduler;
 * - with `maxRetries` finite, a close leaves its internal `_connectLock` set, after which
 *   `reconnect()` never dials again; `close()` during its wait does the same.
 * So RWS runs with zero delays and infinite retries (it re-creates this wrapper after every
 * close) and never gets `close()` until the transport is closed for good; the wrapper makes the
 * real dial wait for the gate.
 *
 * Socket `error` events are not forwarded: a real socket always follows one with `close`
 * (RWS would otherwise close us with a synthetic 1000 and lose the real close code). The error
 * message travels on the close event as `error`.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import type { DialGate } from './dial-gate.js';
import { ClientCloseCodes, type SocketListener, type WebSocketConstructor, type WebSocketLike } from './types.js';

/** Ready states, as in the WebSocket standard. */
const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** Closes for a peer that stopped answering: no close handshake to wait for (`terminate()` where there is one). */
const DEAD_PEER: ReadonlySet<number> = new Set([ClientCloseCodes.HEARTBEAT_TIMEOUT, ClientCloseCodes.CONNECT_TIMEOUT]);

/** The close event the wrapper dispatches. */
export interface GatedCloseEvent {
  type: 'close';
  code: number;
  reason: string;
  wasClean: boolean;
  /** The socket error that preceded the close, if any. */
  error?: string;
}

/** What a wrapper class is wired to. */
export interface GatedSocketDeps {
  /** The real socket constructor. */
  WebSocket: WebSocketConstructor;
  /** Gives the permits. */
  gate: DialGate;
  /** Called when a real socket is dialled. */
  onDial: () => void;
  /** Used to report a dial that threw after RWS has attached its listeners. */
  scheduler: SchedulerLike;
}

/** The class RWS gets (RWS checks the static `CLOSING === 2` to accept it). */
export interface GatedSocketClass {
  new (url: string): WebSocketLike;
  readonly CONNECTING: number;
  readonly OPEN: number;
  readonly CLOSING: number;
  readonly CLOSED: number;
}

/** Build the WebSocket class RWS constructs (one per transport, bound to its gate). */
export function createGatedSocketClass(deps: GatedSocketDeps): GatedSocketClass {
  return class GatedSocket {
    static readonly CONNECTING = CONNECTING;
    static readonly OPEN = OPEN;
    static readonly CLOSING = CLOSING;
    static readonly CLOSED = CLOSED;
    readonly CONNECTING = CONNECTING;
    readonly OPEN = OPEN;
    readonly CLOSING = CLOSING;
    readonly CLOSED = CLOSED;
    /** RWS sets it; text frames only, so it is kept but not used. */
    binaryType = 'blob';
    readonly extensions = '';
    readonly protocol = '';
    readonly bufferedAmount = 0;
    private readonly listeners = new Map<string, SocketListener[]>();
    private real: WebSocketLike | null = null;
    /** Set once this attempt is over (closed by us or by the peer): later real events are ignored. */
    private finished = false;
    private lastError: string | undefined;
    private permit: Subscription | null = null;

    constructor(readonly url: string) {
      // The permit may already be there: then this dials synchronously, inside RWS's `new`.
      const permit = deps.gate.permit().subscribe(() => this.dial());
      this.permit = permit;
    }

    get readyState(): number {
      if (this.finished) return CLOSED;
      return this.real === null ? CONNECTING : this.real.readyState;
    }

    send(data: string): void {
      if (this.real === null || this.finished) throw new Error('socket not open');
      this.real.send(data);
    }

    /** Close this attempt now: cancel the wait or drop the real socket, and report `close` at once. */
    close(code = 1000, reason = ''): void {
      if (this.finished) return;
      this.permit?.unsubscribe();
      const real = this.real;
      if (real !== null) {
        try {
          if (DEAD_PEER.has(code) && typeof real.terminate === 'function') real.terminate();
          else real.close(code, reason);
        } catch {
          // close() on a socket that is already closing: nothing more to do.
        }
      }
      this.finish({ type: 'close', code, reason, wasClean: false });
    }

    addEventListener(type: string, listener: SocketListener): void {
      this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
    }

    removeEventListener(type: string, listener: SocketListener): void {
      this.listeners.set(type, (this.listeners.get(type) ?? []).filter((l) => l !== listener));
    }

    private dial(): void {
      let real: WebSocketLike;
      try {
        real = new deps.WebSocket(this.url);
      } catch (e) {
        // A bad URL throws synchronously, maybe inside RWS's `new` (before it listens): report it
        // a tick later as a failed attempt, like a refused connection.
        deps.onDial();
        deps.scheduler.schedule(() => this.finish({ type: 'close', code: 1006, reason: '', wasClean: false, error: String(e) }));
        return;
      }
      this.real = real;
      // Listeners stay attached for the socket's life (`ws` throws on an 'error' nobody listens to);
      // each checks that this attempt is still the live one.
      real.addEventListener('open', () => this.live(real) && this.dispatch('open', { type: 'open' }));
      real.addEventListener('message', (ev: { data: unknown }) => this.live(real) && this.dispatch('message', { type: 'message', data: ev.data }));
      real.addEventListener('error', (ev: { message?: string; error?: unknown }) => {
        if (this.live(real)) this.lastError = ev.message ?? (ev.error instanceof Error ? ev.error.message : 'socket error');
      });
      real.addEventListener('close', (ev: { code?: number; reason?: string; wasClean?: boolean }) => {
        if (!this.live(real)) return;
        this.finish({ type: 'close', code: ev.code ?? 1006, reason: ev.reason ?? '', wasClean: ev.wasClean ?? false, error: this.lastError });
      });
      deps.onDial();
    }

    private live(real: WebSocketLike): boolean {
      return !this.finished && this.real === real;
    }

    private finish(event: GatedCloseEvent): void {
      if (this.finished) return;
      this.finished = true;
      this.permit?.unsubscribe();
      if (event.error === undefined) delete event.error;
      this.dispatch('close', event);
    }

    private dispatch(type: string, event: object): void {
      for (const listener of this.listeners.get(type) ?? []) listener({ ...event, target: this });
    }
  };
}
