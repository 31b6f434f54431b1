/**
 * One client connection: the handshake, then the frames of DESIGN section 3.
 *
 * States: `awaiting_hello` (nothing but a good `hello` is accepted; no data is sent) ->
 * `ready` (joined the hub: receives every `server_changes`). A frame that does not decode
 * before hello closes the connection (4400); after hello it gets a `protocol_error` frame and
 * the connection goes on. A client that is ahead of the server gets `client_ahead` and stays in
 * `awaiting_hello`, so it can reset and say hello again (last_lsn 0) on the same connection.
 */
import { isLeft } from '../lib/protocol/either.js';
import type { WebSocket } from 'ws';
import { ErrorCodes } from '../lib/errors.js';
import { PROTOCOL_VERSION, decodeClientFrame, type ClientChangeFrame, type ClientFrame, type ErrorFrame, type ServerFrame } from '../lib/protocol/index.js';
import { verifyToken } from './auth.js';
import { TokenBucket } from './limits.js';
import type { HubContext } from './hub.js';
import type { KnownColumns } from './store.js';

/** WebSocket close codes the server uses. */
export const CloseCodes = {
  /** Bad request: a frame before hello that is not a good hello, or a protocol version we do not speak. */
  BAD_REQUEST: 4400,
  /** Authentication failed (missing, invalid or expired token). */
  UNAUTHORIZED: 4401,
  /** A frame over the size limit (set by ws itself). */
  TOO_BIG: 1009,
  /** The client reads too slowly (its output buffer is over the limit): reconnect and catch up. */
  TRY_AGAIN_LATER: 1013,
  /** The server is stopping. */
  GOING_AWAY: 1001,
  /** The client's app schema version is not served (`schema_outdated`). */
  SCHEMA_OUTDATED: 4426,
} as const;

type State = { kind: 'awaiting_hello' } | { kind: 'ready'; clientId: string; sub: string | null; known: KnownColumns } | { kind: 'closed' };

/** Serves one socket for the hub. */
export class ClientConnection {
  private state: State = { kind: 'awaiting_hello' };
  private readonly bucket: TokenBucket;

  constructor(
    private readonly ws: WebSocket,
    private readonly hub: HubContext,
    /** The peer address, for logs. */
    readonly peer: string,
  ) {
    const { limits, now } = hub.settings;
    this.bucket = new TokenBucket(limits.framesPerSecond, limits.frameBurst, now);
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => this.guarded(toText(data)));
    ws.on('close', () => this.onClose());
    ws.on('error', (err) => hub.settings.logger.warn('socket error', { peer, error: err.message }));
    watchOversizeFrames(ws, () => this.sendError(ErrorCodes.LIMIT, `frame over ${limits.maxFrameBytes} bytes: connection closed (1009)`));
  }

  /** The client id once handshaken, else null. */
  clientId(): string | null {
    return this.state.kind === 'ready' ? this.state.clientId : null;
  }

  /** Send an already-serialised frame (one Buffer shared by every client of a broadcast). */
  sendRaw(frame: string | Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(frame, { binary: false });
    // A reader that cannot keep up must not make the server hold unbounded output for it.
    if (this.ws.bufferedAmount > this.hub.settings.limits.maxBufferedBytes) {
      this.hub.settings.logger.warn('client too slow, closing', { peer: this.peer, buffered: this.ws.bufferedAmount });
      this.close(CloseCodes.TRY_AGAIN_LATER, 'too slow: reconnect and catch up');
    }
  }

  /** Close the socket (the hub forgets it on the close event). */
  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }

  private send(frame: ServerFrame): void {
    this.sendRaw(JSON.stringify(frame));
  }

  private sendError(code: string, message: string, extra: Partial<Pick<ErrorFrame, 'retryable' | 'lsn' | 'change_ids'>> = {}): void {
    this.send({ type: 'error', code, message, ...extra });
  }

  /** A bug in handling one frame must not take the process (and every other client) down. */
  private guarded(text: string): void {
    try {
      this.onMessage(text);
    } catch (e) {
      this.hub.settings.logger.error('internal error handling a frame', { peer: this.peer, client_id: this.clientId(), error: (e as Error).stack ?? String(e) });
      this.sendError(ErrorCodes.INTERNAL, 'internal server error');
    }
  }

  private onMessage(text: string): void {
    if (this.state.kind === 'closed') return;
    if (!this.bucket.take()) {
      // Over the rate: the frame is dropped unread; the client may send it again later.
      this.sendError(ErrorCodes.LIMIT, `rate limit: more than ${this.hub.settings.limits.framesPerSecond} frames/s`, { retryable: true });
      return;
    }
    const decoded = decodeClientFrame(text, { maxChars: this.hub.settings.limits.maxFrameBytes });
    if (isLeft(decoded)) {
      this.hub.settings.logger.warn('bad frame', { peer: this.peer, client_id: this.clientId(), error: decoded.left.message });
      this.sendError(ErrorCodes.PROTOCOL, decoded.left.message);
      // Before hello there is nothing to keep: a peer that cannot even say hello is dropped.
      if (this.state.kind === 'awaiting_hello') this.close(CloseCodes.BAD_REQUEST, 'expected hello');
      return;
    }
    this.dispatch(decoded.right);
  }

  private dispatch(frame: ClientFrame): void {
    if (this.state.kind !== 'ready') {
      if (frame.type === 'hello') return this.onHello(frame);
      this.sendError(ErrorCodes.PROTOCOL, `expected "hello" first, got "${frame.type}"`);
      return this.close(CloseCodes.BAD_REQUEST, 'expected hello');
    }
    const { clientId, sub, known } = this.state;
    switch (frame.type) {
      case 'client_change':
        return this.onChanges(clientId, sub, frame, known);
      case 'sync_request':
        return this.onSyncRequest(frame.from_lsn, frame.limit);
      case 'ack':
        return this.onAck(clientId, frame.lsn);
      case 'ping':
        return this.send(frame.t === undefined ? { type: 'pong' } : { type: 'pong', t: frame.t });
      case 'pong':
        return; // an answer to nothing we sent: harmless
      case 'error':
        return this.hub.settings.logger.warn('client reported an error', { client_id: clientId, code: frame.code, message: frame.message });
      case 'hello':
        return this.sendError(ErrorCodes.PROTOCOL, 'already handshaken: "hello" ignored');
    }
  }

  private onHello(hello: Extract<ClientFrame, { type: 'hello' }>): void {
    const { store, secret, now, logger, pageSize } = this.hub.settings;
    if (hello.protocol !== PROTOCOL_VERSION) {
      this.sendError(ErrorCodes.PROTOCOL, `protocol version ${hello.protocol} not supported (server speaks ${PROTOCOL_VERSION})`);
      return this.close(CloseCodes.BAD_REQUEST, 'protocol version');
    }
    let sub: string | null = null;
    if (secret !== null) {
      const verified = verifyToken(secret, hello.token, now());
      if (isLeft(verified)) {
        logger.warn('auth failed', { peer: this.peer, client_id: hello.client_id, error: verified.left.message });
        this.sendError(ErrorCodes.AUTH, verified.left.message);
        return this.close(CloseCodes.UNAUTHORIZED, 'unauthorized');
      }
      sub = verified.right.sub;
    }
    const schemaVersion = hello.schema_version ?? 1;
    const refusal = this.hub.settings.schemas?.refusal(schemaVersion) ?? null;
    if (refusal !== null) {
      // Typed, and the client waits instead of redialling at once: it needs a new app (or server).
      logger.warn('schema version refused', { client_id: hello.client_id, schema_version: schemaVersion });
      this.sendError(ErrorCodes.SCHEMA_OUTDATED, refusal);
      return this.close(CloseCodes.SCHEMA_OUTDATED, 'schema version');
    }
    if (hello.last_lsn > store.lsn()) {
      // The server lost history (restored from a backup): say so; the client must resync.
      logger.warn('client ahead of server', { client_id: hello.client_id, client_lsn: hello.last_lsn, server_lsn: store.lsn() });
      return this.sendError(ErrorCodes.CLIENT_AHEAD, `client at lsn ${hello.last_lsn} is ahead of the server (lsn ${store.lsn()}): reset and resync`, { lsn: store.lsn() });
    }
    this.state = { kind: 'ready', clientId: hello.client_id, sub, known: this.hub.settings.schemas?.known(schemaVersion) ?? null };
    store.clientSeen(hello.client_id);
    this.hub.join(this);
    logger.info('client joined', { client_id: hello.client_id, sub, last_lsn: hello.last_lsn, peer: this.peer });
    this.send({ type: 'welcome', server_lsn: store.lsn(), server_id: store.serverId, page_size: pageSize, ...(this.hub.settings.schemas && { schema_version: this.hub.settings.schemas.version }) });
  }

  private onChanges(clientId: string, sub: string | null, frame: ClientChangeFrame, known: KnownColumns): void {
    const { limits, store, logger } = this.hub.settings;
    if (frame.changes.length > limits.maxChangesPerFrame) {
      return this.sendError(ErrorCodes.LIMIT, `${frame.changes.length} changes in one frame (limit ${limits.maxChangesPerFrame}): nothing applied`);
    }
    let outcome;
    try {
      outcome = store.applyChanges(clientId, frame.changes, this.hub.settings.permit, sub, known);
    } catch (e) {
      // The database itself failed: the frame was rolled back whole; the client retries it.
      logger.error('applying a frame failed', { client_id: clientId, error: (e as Error).message });
      return this.sendError(ErrorCodes.SERVER_TRANSIENT, `could not apply the frame: ${(e as Error).message}`, {
        retryable: true,
        change_ids: frame.changes.map((c) => c.change_id),
      });
    }
    this.send({ type: 'change_ack', acks: outcome.acks });
    const { committed, prevLsn } = outcome;
    if (committed.length > 0) {
      this.hub.broadcast(JSON.stringify({ type: 'server_changes', prev_lsn: prevLsn, lsn: committed[committed.length - 1]!.lsn, changes: committed }));
    }
  }

  private onSyncRequest(from: number, limit: number | undefined): void {
    const { store, pageSize } = this.hub.settings;
    if (from > store.lsn()) {
      return this.sendError(ErrorCodes.CLIENT_AHEAD, `from_lsn ${from} is ahead of the server (lsn ${store.lsn()}): reset and resync`, { lsn: store.lsn() });
    }
    const size = Math.max(1, Math.min(limit ?? pageSize, pageSize));
    const page = store.readPage(from, size);
    this.sendRaw(`{"type":"sync_response","from_lsn":${from},"lsn":${page.lsn},"changes":[${page.changesJson.join(',')}],"complete":${page.complete}}`);
  }

  private onAck(clientId: string, lsn: number): void {
    if (lsn > this.hub.settings.store.lsn()) {
      return this.sendError(ErrorCodes.PROTOCOL, `ack of lsn ${lsn} beyond the server's lsn ${this.hub.settings.store.lsn()}`, { lsn: this.hub.settings.store.lsn() });
    }
    this.hub.settings.store.clientAcked(clientId, lsn);
  }

  private onClose(): void {
    if (this.state.kind === 'ready') this.hub.settings.logger.info('client left', { client_id: this.state.clientId });
    this.state = { kind: 'closed' };
    this.hub.leave(this);
  }
}

function toText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/**
 * ws refuses a frame over `maxPayload` while reading its header and closes with 1009 right away.
 * Its receiver emits 'error' just before that close: a listener put in front sends our `error`
 * frame first, so the client learns why. (ws 8 internals, guarded: without them, close 1009 alone.)
 */
function watchOversizeFrames(ws: WebSocket, onOversize: () => void): void {
  const receiver = (ws as unknown as { _receiver?: { prependListener?: (ev: string, fn: (e: { code?: string }) => void) => void } })._receiver;
  receiver?.prependListener?.('error', (err) => {
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') onOversize();
  });
}
