/**
 * One client connection: the handshake, then the frames of DESIGN section 3.
 *
 * ```
 *  accept --(good hello)--> ready --(close / token exp / too slow / no pong)--> closing
 *    |  \--(client_ahead)--> awaiting_hello (may say hello again)                  ^
 *    \--(bad first frame, bad token, hello timeout)--------------------------------/
 * ```
 * `awaiting_hello`: nothing but a good `hello` is accepted; no data is sent. A frame that does not
 * decode before hello closes the connection (4400); after hello it gets a `protocol_error` frame
 * and the connection goes on. `closing`: nothing more is handled, queued frames are dropped.
 *
 * Frames are handled in arrival order, one unit at a time (see Inbox): a frame, or a run of
 * `client_change` frames that waited back to back, written and acked together (change-run.ts).
 * Every store call is awaited, and work is paced by a token bucket (see limits.ts): over the
 * rate, frames wait, none is dropped.
 */
import { isLeft } from '../lib/protocol/either.js';
import type { WebSocket } from 'ws';
import { ErrorCodes } from '../lib/errors.js';
import { MAX_ERROR_CODE_CHARS, decodeClientFrame, safeText, type ClientFrame, type ErrorFrame, type ServerFrame } from '../lib/protocol/index.js';
import { handshake, type Identity } from './handshake.js';
import type { HubContext } from './hub.js';
import { AccessControl } from './access/access-control.js';
import { AckRecorder } from './ack-recorder.js';
import { applyClientChanges, type ChangesReply } from './client-changes.js';
import { ConnectionTimers } from './connection-timers.js';
import { Inbox, type Lookahead } from './inbox.js';
import { FrameReader, runBounds, takeRun } from './change-run.js';
import { CatchUp } from './catch-up.js';
import { CloseCodes, toText, watchOversizeFrames } from './socket.js';
import { TokenBucket, frameCost, servedCost } from './limits.js';
import { fetchRowsFrame } from './fetch-rows.js';

export { CloseCodes } from './socket.js';

type State = { kind: 'awaiting_hello' } | ({ kind: 'ready' } & Identity) | { kind: 'closing' };

/** How long a closed socket may take to answer the close before it is cut. */
const CLOSE_GRACE_MS = 5000;
/** How often a paused request looks at the output buffers again. */
const OUTPUT_POLL_MS = 5;

/** Serves one socket for the hub. */
export class ClientConnection {
  private state: State = { kind: 'awaiting_hello' };
  private readonly bucket: TokenBucket;
  private readonly inbox: Inbox;
  private readonly timers = new ConnectionTimers();
  private alive = true;
  private readonly acks: AckRecorder;
  /** Where a client_change frame's answers go. */
  private readonly reply: ChangesReply = { raw: (f) => this.sendRaw(f), error: (code, message, extra) => this.sendError(code, message, extra) };
  private readonly catchUp: CatchUp;
  /** Decodes each received frame once (also one looked at ahead for a run). */
  private readonly reader: FrameReader;

  constructor(
    private readonly ws: WebSocket,
    private readonly hub: HubContext,
    /** The peer address, for logs. */
    readonly peer: string,
  ) {
    const { limits, now } = hub.settings;
    this.bucket = new TokenBucket(limits.framesPerSecond, limits.frameBurst, now);
    this.catchUp = new CatchUp(hub, this, () => this.clientId());
    this.reader = new FrameReader((text) => decodeClientFrame(text, { maxChars: limits.maxFrameBytes }));
    this.acks = new AckRecorder(hub.settings, () => this.clientId());
    this.inbox = new Inbox(ws, limits.maxInboxBytes, (text, rest) => this.guarded(text, rest));
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => this.inbox.push(toText(data)));
    ws.on('close', () => this.onClose());
    ws.on('pong', () => (this.alive = true));
    ws.on('error', (err) => hub.settings.logger.warn('socket error', { peer, error: err.message }));
    watchOversizeFrames(ws, () => this.sendError(ErrorCodes.LIMIT, `frame over ${limits.maxFrameBytes} bytes: connection closed (1009)`));
    this.timers.after(limits.helloTimeoutMs, () => {
      if (this.state.kind !== 'awaiting_hello') return;
      this.sendError(ErrorCodes.PROTOCOL, `no hello within ${limits.helloTimeoutMs} ms`);
      this.close(CloseCodes.HELLO_TIMEOUT, 'hello timeout');
    });
  }

  /** The client id once handshaken, else null. */
  clientId(): string | null {
    return this.state.kind === 'ready' ? this.state.clientId : null;
  }

  /** Unsent output bytes of this socket. */
  bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** Resolves when no frame waits or is being handled. */
  idle(): Promise<void> {
    return this.inbox.idle();
  }

  /** Heartbeat tick (from the hub): cut a socket that did not answer the last ping, else ping it. */
  heartbeat(): void {
    if (!this.alive) {
      this.hub.settings.logger.info('no pong: connection cut', { peer: this.peer, client_id: this.clientId() });
      this.stop();
      this.ws.terminate();
      return;
    }
    this.alive = false;
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
  }

  /**
   * Send an already-serialised frame (one Buffer shared by every client of a broadcast).
   * `continues`: a later page of the same broadcast, sent whole (see below).
   */
  sendRaw(frame: string | Buffer, continues = false): void {
    if (this.ws.readyState !== this.ws.OPEN || this.state.kind === 'closing') return;
    // A reader that cannot keep up must not make the server hold unbounded output for it: over
    // the limit when a frame starts, it is closed. The later pages of one broadcast are not
    // judged again: one commit bigger than the limit would otherwise cut a reader that keeps up
    // (the server writes all its pages at once). Held output: at most the limit plus one broadcast.
    if (!continues && this.ws.bufferedAmount > this.hub.settings.limits.maxBufferedBytes) {
      this.hub.settings.logger.warn('client too slow, closing', { peer: this.peer, buffered: this.ws.bufferedAmount });
      this.close(CloseCodes.TRY_AGAIN_LATER, 'too slow: reconnect and catch up');
      return;
    }
    this.ws.send(frame, { binary: false });
  }

  /**
   * Close the socket: nothing more is handled or sent, no more broadcasts (the hub forgets the
   * socket itself on the close event). A socket that does not answer the close within
   * CLOSE_GRACE_MS (it reads nothing) is cut, so that its buffers go.
   */
  close(code: number, reason: string): void {
    this.stop();
    this.hub.part(this);
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.ws.close(code, reason);
      const cut = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
      cut.unref();
      this.ws.once('close', () => clearTimeout(cut));
    }
  }

  private stop(): void {
    // While still ready: the last acked LSN is written for this client.
    this.acks.flush();
    this.state = { kind: 'closing' };
    this.inbox.stop();
    this.catchUp.clear();
    this.timers.clear();
  }

  private send(frame: ServerFrame): void {
    this.sendRaw(JSON.stringify(frame));
  }

  private sendError(code: string, message: string, extra: Partial<Pick<ErrorFrame, 'retryable' | 'lsn' | 'change_ids'>> = {}): void {
    // Bounded and well-formed, whatever went into the message (the client's codec checks both).
    this.send({ type: 'error', code: safeText(code, MAX_ERROR_CODE_CHARS), message: safeText(message), ...extra });
  }

  /** A bug in handling one frame (or run) must not take the process (and every other client) down. */
  private async guarded(text: string, rest: Lookahead): Promise<void> {
    try {
      await this.onMessage(text, rest);
    } catch (e) {
      this.hub.settings.logger.error('internal error handling a frame', { peer: this.peer, client_id: this.clientId(), error: (e as Error).stack ?? String(e) });
      this.sendError(ErrorCodes.INTERNAL, 'internal server error');
    }
  }

  /** The frame `text` (and, for a `client_change`, the run it heads: frames it takes from `rest`). */
  private async onMessage(text: string, rest: Lookahead): Promise<void> {
    if (this.state.kind === 'closing') return;
    const decoded = this.reader.read(text);
    if (isLeft(decoded)) {
      this.bucket.spend(1);
      this.hub.settings.logger.warn('bad frame', { peer: this.peer, client_id: this.clientId(), error: decoded.left.message });
      this.sendError(ErrorCodes.PROTOCOL, decoded.left.message);
      // Before hello there is nothing to keep: a peer that cannot even say hello is dropped.
      if (this.state.kind === 'awaiting_hello') this.close(CloseCodes.BAD_REQUEST, 'expected hello');
      return this.pace();
    }
    const frame = decoded.right;
    this.bucket.spend(frameCost(frame.type, frame.type === 'client_change' ? frame.changes.length : 0));
    // Backpressure: a client that does not read what it caused (acks, its echoes, pages) is not
    // served more; its frames wait (and its socket stops being read) instead of it being closed.
    if (this.state.kind === 'ready') await this.waitForOutput(frame.type === 'sync_request');
    await this.dispatch(frame, rest);
    return this.pace();
  }

  /** Over the rate: wait (frames queue behind, the socket stops being read) until the bucket refills. */
  private async pace(): Promise<void> {
    for (let wait = this.bucket.waitMs(); wait > 0 && this.state.kind !== 'closing'; wait = this.bucket.waitMs()) {
      await this.timers.sleep(Math.min(wait, 1000));
    }
  }

  private async dispatch(frame: ClientFrame, rest: Lookahead): Promise<void> {
    if (this.state.kind === 'closing') return;
    if (this.state.kind !== 'ready') {
      if (frame.type === 'hello') return this.onHello(frame);
      this.sendError(ErrorCodes.PROTOCOL, `expected "hello" first, got "${frame.type}"`);
      return this.close(CloseCodes.BAD_REQUEST, 'expected hello');
    }
    if (this.state.expMs !== null && this.hub.settings.now() >= this.state.expMs) return this.expire();
    const ready = this.state;
    switch (frame.type) {
      case 'client_change':
        // With the frames behind it that join its run (change-run.ts), each charged as if alone.
        return applyClientChanges(this.hub, this, ready, takeRun(frame, rest, this.reader, runBounds(this.hub.settings), (f) => this.bucket.admit(frameCost(f.type, f.changes.length))), this.reply);
      case 'sync_request':
        return this.onSyncRequest(frame.from_lsn, frame.limit, frame.cursor);
      case 'ack':
        return this.onAck(frame.lsn);
      case 'fetch_rows':
        return this.sendRaw(await fetchRowsFrame(this.hub.settings, ready, frame, this));
      case 'ping':
        return this.send(frame.t === undefined ? { type: 'pong' } : { type: 'pong', t: frame.t });
      case 'pong':
        return; // an answer to nothing we sent: harmless
      case 'error':
        return this.hub.settings.logger.warn('client reported an error', { client_id: ready.clientId, code: frame.code, message: frame.message });
      case 'hello':
        return this.sendError(ErrorCodes.PROTOCOL, 'already handshaken: "hello" ignored');
    }
  }

  private async onHello(hello: Extract<ClientFrame, { type: 'hello' }>): Promise<void> {
    const { store, logger, pageSize } = this.hub.settings;
    const result = await handshake(this.hub.settings, hello, this.peer);
    if (this.state.kind === 'closing') return;
    if (result.kind === 'refused') {
      this.sendError(result.code, result.message, result.lsn === undefined ? {} : { lsn: result.lsn });
      if (result.close !== null) this.close(result.close, result.reason);
      return;
    }
    const access = this.hub.settings.access;
    const welcome = () => {
      this.state = { kind: 'ready', ...result.identity };
      this.acks.reset();
      this.hub.join(this);
      if (result.identity.expMs !== null) this.armExpiry(result.identity.expMs);
      logger.info('client joined', { client_id: hello.client_id, sub: result.identity.sub, last_lsn: hello.last_lsn, peer: this.peer });
      this.send({ type: 'welcome', server_lsn: store.lsn(), server_id: store.serverId, page_size: pageSize, ...(this.hub.settings.schemas && { schema_version: this.hub.settings.schemas.version }) });
    };
    if (!access) {
      welcome();
      // Behind: the first page the client will ask for, read while the welcome travels.
      if (store.lsn() > hello.last_lsn) this.catchUp.readAhead(hello.last_lsn, pageSize, undefined);
      return;
    }
    // With access rules: scopes first, then join at the same LSN as the welcome, with no commit in between.
    await this.hub.serial(async () => {
      const scopes = await access.evaluate(AccessControl.userOf(result.identity));
      if (this.state.kind === 'closing') return;
      welcome();
      access.attach(this, result.identity, scopes, store.lsn(), hello, this.hub.settings.limits);
    });
  }

  /** Close the connection when its token expires (re-armed: long timers are capped). */
  private armExpiry(expMs: number): void {
    const left = expMs - this.hub.settings.now();
    if (left <= 0) return this.expire();
    this.timers.after(left, () => this.armExpiry(expMs));
  }

  private expire(): void {
    this.hub.settings.logger.info('token expired: connection closed', { client_id: this.clientId(), peer: this.peer });
    this.sendError(ErrorCodes.AUTH, 'token expired: get a new token and reconnect');
    this.close(CloseCodes.UNAUTHORIZED, 'token expired');
  }

  private async onSyncRequest(from: number, limit: number | undefined, cursor?: number): Promise<void> {
    const { store, pageSize } = this.hub.settings;
    if (this.state.kind === 'closing') return;
    // issue 16: another node may be ahead of what this one heard of: ask the database before refusing.
    if (from > store.lsn() && from > (await store.refreshLsn())) {
      return this.sendError(ErrorCodes.CLIENT_AHEAD, `from_lsn ${from} is ahead of the server (lsn ${store.lsn()}): reset and resync`, { lsn: store.lsn() });
    }
    this.hub.settings.logger.debug('sync_request', { client_id: this.clientId(), from_lsn: from });
    const frame = await this.catchUp.page(from, Math.max(1, Math.min(limit ?? pageSize, pageSize)), cursor);
    this.sendRaw(frame);
    this.bucket.spend(servedCost(frame.length));
  }

  /** Wait while this socket holds too much unsent output (and, for catch-up, all sockets together). */
  private async waitForOutput(global: boolean): Promise<void> {
    const { limits } = this.hub.settings;
    while (this.state.kind !== 'closing' && (this.ws.bufferedAmount > limits.pauseBufferedBytes || (global && this.hub.outputBytes() > limits.globalOutputBytes))) {
      await this.timers.sleep(OUTPUT_POLL_MS);
    }
  }

  /** An ack: coalesced, written at most once per second and on close (ack-recorder.ts). */
  private onAck(lsn: number): void {
    const { store } = this.hub.settings;
    if (lsn > store.lsn()) {
      return this.sendError(ErrorCodes.PROTOCOL, `ack of lsn ${lsn} beyond the server's lsn ${store.lsn()}`, { lsn: store.lsn() });
    }
    this.acks.note(lsn);
  }

  private onClose(): void {
    if (this.state.kind === 'ready') this.hub.settings.logger.info('client left', { client_id: this.state.clientId });
    this.stop();
    this.hub.leave(this);
  }
}
