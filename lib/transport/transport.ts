/**
 * The connection manager: one reconnecting WebSocket to the sync server, with the handshake,
 * heartbeat, bounded outbound buffer and reconnect policy. It implements {@link EngineTransport}.
 *
 * How reconnecting-websocket is used: see gated-socket.ts. In short, RWS re-creates the socket
 * after every close with zero delay, and the socket it creates waits for the {@link DialGate},
 * which owns the timing (full-jitter backoff from the injected random source, on the injected
 * scheduler; auth wait; connect()/disconnect(); `online` shortcut).
 *
 * A connection goes `closed -> connecting` (real socket dialled) `-> handshaking` (socket open,
 * `hello` sent once `token()` resolved) `-> open` (`welcome` received: buffered frames are
 * flushed, then `open` is announced, then `welcome` goes out on message$) `-> closed`.
 * The transport starts closed and dials on the first `connect()`.
 */
import { Subject, Subscription, defer, timer, type Observable } from 'rxjs';
import ReconnectingWebSocket from 'reconnecting-websocket';
import { isLeft } from '../protocol/either.js';
import { ErrorCodes, ProtocolError, SyncError, describeCause } from '../errors.js';
import type { TransportState } from '../engine/ports.js';
import { decodeServerFrame, type ClientFrame, type ServerFrame } from '../protocol/index.js';
import { DialGate } from './dial-gate.js';
import { createGatedSocketClass, type GatedCloseEvent } from './gated-socket.js';
import { heartbeat, whileIn } from './heartbeat.js';
import { OrderedState } from './ordered-state.js';
import { Outbox, heldFor } from './outbox.js';
import { resolveTransportOptions, type ResolvedTransportOptions } from './options.js';
import { describeEnding, helloFrame, type Ending, type Session } from './session.js';
import { ClientCloseCodes, SERVER_UNAUTHORIZED, type HelloInfo, type Transport, type TransportOptions } from './types.js';

/** Largest delay a JS timer accepts: RWS's own connection timeout is parked there (the gate times dials). */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Create the connection manager. It starts closed: call `connect()` to dial.
 * Frames sent while not open wait in a bounded buffer (see {@link Outbox}: when full, `send()`
 * returns false; nothing is lost, changes are durable in `local_changes` and re-sent after the
 * next handshake). `reconnect()` drops that buffer (see Transport.reconnect).
 */
export function createTransport(options: TransportOptions): Transport {
  return new ConnectionManager(resolveTransportOptions(options));
}

class ConnectionManager implements Transport {
  readonly state$: Observable<TransportState>;
  readonly message$: Observable<ServerFrame>;
  readonly errors$: Observable<SyncError>;
  private readonly state = new OrderedState<TransportState>('closed');
  private readonly messages = new Subject<ServerFrame>();
  private readonly errors = new Subject<SyncError>();
  /** Every frame received (heartbeat activity). */
  private readonly received = new Subject<void>();
  private readonly outbox: Outbox;
  private readonly gate: DialGate;
  private readonly rws: ReconnectingWebSocket;
  private readonly subscriptions = new Subscription();
  private session: Session | null = null;
  private lifecycle: 'running' | 'closed' = 'running';
  /** Which of the URLs the next dial uses. */
  private urlIndex = 0;

  constructor(private readonly o: ResolvedTransportOptions) {
    this.state$ = this.state.changes$;
    this.message$ = this.messages.asObservable();
    this.errors$ = this.errors.asObservable();
    this.outbox = new Outbox(o.bufferSize);
    this.gate = new DialGate({ scheduler: o.scheduler, random: o.random, backoff: o.backoff, authRetryDelay: o.authRetryDelay });
    const GatedSocket = createGatedSocketClass({ WebSocket: o.WebSocket, gate: this.gate, scheduler: o.scheduler, onDial: () => this.onDial() });
    const urls = typeof o.url === 'string' ? [o.url] : [...o.url];
    if (urls.length === 0) throw new RangeError('transport: url is an empty list');
    // A provider, asked at every dial: failover moves `urlIndex` on (see onClose).
    this.rws = new ReconnectingWebSocket(() => urls[this.urlIndex % urls.length]!, undefined, {
      WebSocket: GatedSocket,
      minReconnectionDelay: 0,
      maxReconnectionDelay: 0,
      reconnectionDelayGrowFactor: 1,
      minUptime: 0,
      connectionTimeout: MAX_TIMER_MS,
      maxRetries: Infinity,
      maxEnqueuedMessages: 0,
    });
    this.rws.addEventListener('open', () => this.onOpen());
    this.rws.addEventListener('message', (event) => this.onMessage(event.data));
    this.rws.addEventListener('close', (event) => this.onClose(event as unknown as GatedCloseEvent));
    this.subscriptions.add(this.watchHeartbeat());
    this.subscriptions.add(this.watchConnectTimeout());
    if (o.onlineEvents) {
      this.subscriptions.add(o.onlineEvents.subscribe((online) => this.onNetwork(online)));
    }
  }

  connect(): void {
    // Already dialling or connected, or closed for good: nothing to do.
    if (this.lifecycle === 'closed' || this.state.value !== 'closed') return;
    this.log('debug', 'connect');
    this.gate.release();
  }

  disconnect(): void {
    if (this.lifecycle === 'closed') return;
    this.log('debug', 'disconnect');
    this.gate.hold();
    if (this.session !== null) this.end('disconnect', ClientCloseCodes.NORMAL, 'disconnect');
  }

  reconnect(): void {
    // Frames held for the connection being replaced are dropped (see Transport.reconnect).
    const dropped = this.outbox.drain();
    if (dropped.length > 0) this.log('debug', 'reconnect: buffered frames dropped', { frames: dropped.length });
    this.disconnect();
    this.connect();
  }

  close(): void {
    if (this.lifecycle === 'closed') return;
    this.lifecycle = 'closed';
    this.gate.dispose();
    if (this.session !== null) this.session.ending = 'disconnect';
    this.rws.close(ClientCloseCodes.NORMAL, 'closed');
    this.subscriptions.unsubscribe();
    // The observables complete once 'closed' is announced (after any announcement in progress).
    this.setState('closed');
  }

  send(frame: ClientFrame): boolean {
    // The transport owns the handshake: a `hello` from outside would confuse the server.
    if (this.lifecycle === 'closed' || frame.type === 'hello') return false;
    const text = JSON.stringify(frame);
    if (this.state.value === 'open' && this.sendNow(text)) return true;
    const held = this.outbox.push(text);
    if (!held) this.log('warn', 'outbound buffer full: frame refused', { type: frame.type, size: this.outbox.size });
    return held;
  }

  /** Write to the open socket; false if it is not open (RWS would drop the frame silently). */
  private sendNow(text: string): boolean {
    if (this.rws.readyState !== ReconnectingWebSocket.OPEN) return false;
    try {
      this.rws.send(text);
      return true;
    } catch {
      return false;
    }
  }

  private onDial(): void {
    this.session = { ending: null, handshake: null, serverId: null };
    this.setState('connecting');
  }

  private onOpen(): void {
    const session = this.session;
    if (session === null) return;
    this.setState('handshaking');
    // token() is called once per connection, so an expired token is refreshed on every reconnect.
    session.handshake = defer(async () => (this.o.token ? await this.o.token() : undefined)).subscribe({
      next: (token) => this.sendHello(session, token),
      error: (e: unknown) => {
        this.errors.next(new SyncError(ErrorCodes.AUTH, `token() failed: ${describeCause(e)}`, { cause: e }));
        this.end('handshake', ClientCloseCodes.HANDSHAKE_FAILED, 'no token');
      },
    });
  }

  /** Change state; once closed for good, complete everything after the last announcement. */
  private setState(next: TransportState): void {
    this.state.set(next);
    if (this.lifecycle === 'closed' && !this.state.announcing) {
      this.state.complete();
      this.messages.complete();
      this.errors.complete();
      this.received.complete();
    }
  }

  private sendHello(session: Session, token: string | null | undefined): void {
    // The connection may have ended while token() was pending.
    if (this.session !== session || this.state.value !== 'handshaking') return;
    let info: HelloInfo;
    try {
      info = this.o.hello();
    } catch (e) {
      this.errors.next(new SyncError(ErrorCodes.INTERNAL, `hello() failed: ${describeCause(e)}`, { cause: e }));
      this.end('handshake', ClientCloseCodes.HANDSHAKE_FAILED, 'no hello');
      return;
    }
    session.serverId = info.server_id ?? null;
    this.sendNow(JSON.stringify(helloFrame(info, token)));
  }

  private onMessage(data: unknown): void {
    this.received.next();
    if (typeof data !== 'string') {
      this.errors.next(new ProtocolError('binary frame: the protocol is JSON text'));
      return;
    }
    // A newer server may send tables and columns this (older) schema does not know: they are left
    // out with a debug log, never a dropped frame (which would stall catch-up for good).
    const decoded = decodeServerFrame(data, {
      schema: this.o.schema,
      project: (dropped) => this.log(dropped.some((d) => d.endsWith(')')) ? 'warn' : 'debug', 'left out what this schema does not know', { dropped }),
      // A change that does not fit is quarantined by the store (errors$: change_quarantined), not a dropped frame.
      keepUnfit: (error) => this.log('warn', 'server change does not fit the schema: it will be quarantined', { error: error.message }),
    });
    if (isLeft(decoded)) {
      // Bad frame: reported, dropped, the connection goes on.
      this.log('warn', 'bad frame', { error: decoded.left.message });
      this.errors.next(decoded.left);
      return;
    }
    const frame = decoded.right;
    switch (frame.type) {
      case 'pong':
        return; // its arrival already fed the heartbeat
      case 'ping':
        this.sendNow(JSON.stringify(frame.t === undefined ? { type: 'pong' } : { type: 'pong', t: frame.t }));
        return;
      case 'welcome':
        return this.onWelcome(frame);
      case 'error':
        if (frame.code === ErrorCodes.AUTH) return this.onAuthRejected(frame.message);
        if (frame.code === ErrorCodes.SCHEMA_OUTDATED) return this.onSchemaRefused(frame.message);
        // Other errors (client_ahead, limits, retryable ones) are the engine's to handle, even before welcome.
        this.messages.next(frame);
        return;
      default:
        if (this.state.value !== 'open') {
          this.errors.next(new ProtocolError(`"${frame.type}" frame before "welcome": dropped`, { path: 'type' }));
          return;
        }
        this.messages.next(frame);
    }
  }

  private onWelcome(frame: Extract<ServerFrame, { type: 'welcome' }>): void {
    if (this.state.value !== 'handshaking') {
      this.errors.next(new ProtocolError('"welcome" outside a handshake: dropped', { path: 'type' }));
      return;
    }
    // Buffered frames go first, in order, before anything sent in reaction to `open` / `welcome`
    // (to another server, only the changes: outbox.ts).
    const held = this.outbox.drain();
    const buffered = heldFor(held, this.session?.serverId ?? null, frame.server_id);
    if (buffered.length < held.length) this.log('info', 'another server: frames buffered about the old log dropped', { frames: held.length - buffered.length });
    for (const text of buffered) this.sendNow(text);
    this.gate.welcomed();
    this.log('info', 'connected', { server_lsn: frame.server_lsn });
    this.setState('open');
    this.messages.next(frame);
  }

  private onAuthRejected(message: string): void {
    if (this.session === null || this.session.ending === 'auth') return;
    this.errors.next(new SyncError(ErrorCodes.AUTH, `server refused the token: ${message}`));
    this.end('auth', ClientCloseCodes.AUTH_REJECTED, 'auth rejected');
  }

  /** The server does not serve this app's schema version: report it, and wait like after an auth rejection. */
  private onSchemaRefused(message: string): void {
    if (this.session === null || this.session.ending === 'auth') return;
    this.errors.next(new SyncError(ErrorCodes.SCHEMA_OUTDATED, message));
    this.end('auth', ClientCloseCodes.AUTH_REJECTED, 'schema version refused');
  }

  /** Close the current connection for `ending`; RWS reports the close and starts a new (gated) attempt. */
  private end(ending: Exclude<Ending, null>, code: number, reason: string): void {
    if (this.session === null) return;
    this.session.ending = ending;
    this.rws.reconnect(code, reason);
  }

  private onClose(event: GatedCloseEvent): void {
    const session = this.session;
    this.session = null;
    session?.handshake?.unsubscribe();
    // A wrapper closed while still waiting for its permit (disconnect, close): nothing was dialled.
    if (session === null || this.lifecycle === 'closed') return;
    this.setState('closed');
    const detail = `code ${event.code}${event.reason ? ` "${event.reason}"` : ''}${event.error ? `, ${event.error}` : ''}`;
    switch (session.ending) {
      case 'disconnect':
        return; // the gate is held until connect()
      case 'auth':
        return this.afterAuthRejection(); // already reported
      case 'handshake':
        this.gate.retryLater(); // already reported (token() or hello() failed)
        return;
      default:
        if (event.code === SERVER_UNAUTHORIZED) {
          this.errors.next(new SyncError(ErrorCodes.AUTH, `server refused the token (${detail})`));
          return this.afterAuthRejection();
        }
        this.errors.next(new SyncError(ErrorCodes.CONNECTION, `${describeEnding(session.ending)} (${detail})`));
        this.urlIndex++; // lost or not made: the next dial tries the next URL (if there are several)
        this.log('info', 'connection lost', { code: event.code, retry_in: this.gate.retryLater() });
    }
  }

  private afterAuthRejection(): void {
    this.log('warn', 'auth rejected', { retry_in: this.gate.authRejected() });
  }

  private onNetwork(online: boolean): void {
    this.log('debug', online ? 'network online' : 'network offline');
    // Online: a backoff wait ends now. Offline: nothing; a dead socket is found by the heartbeat.
    if (online) this.gate.online();
  }

  /** While open: ping after silence, and redial when the silence goes on. */
  private watchHeartbeat(): Subscription {
    return whileIn(this.state.changes$, ['open'], () => heartbeat(this.received, this.o.heartbeat, this.o.scheduler)).subscribe((signal) => {
      if (signal === 'ping') this.sendNow(JSON.stringify({ type: 'ping', t: Math.max(0, Math.floor(this.o.scheduler.now())) }));
      else this.end('heartbeat', ClientCloseCodes.HEARTBEAT_TIMEOUT, 'heartbeat timeout');
    });
  }

  /** From dial to `welcome` at most `connectTimeout`. */
  private watchConnectTimeout(): Subscription {
    return whileIn(this.state.changes$, ['connecting', 'handshaking'], () => timer(this.o.connectTimeout, this.o.scheduler)).subscribe(() =>
      this.end('connect_timeout', ClientCloseCodes.CONNECT_TIMEOUT, 'connect timeout'),
    );
  }

  private log(level: 'debug' | 'info' | 'warn', message: string, data?: Record<string, unknown>): void {
    this.o.logger?.[level]?.(`transport: ${message}`, data);
  }
}
