/**
 * Socket-level pieces of a connection: the close codes, frame payload to text, and the hook
 * that lets an oversize frame be answered before ws closes the socket.
 */
import type { WebSocket } from 'ws';

/** WebSocket close codes the server uses. */
export const CloseCodes = {
  /** Bad request: a frame before hello that is not a good hello, or a protocol version we do not speak. */
  BAD_REQUEST: 4400,
  /** Authentication failed (missing, invalid or expired token, also when it expires on an open connection). */
  UNAUTHORIZED: 4401,
  /** The client id belongs to another user (another token `sub`). */
  FORBIDDEN: 4403,
  /** No good `hello` within `helloTimeoutMs`. */
  HELLO_TIMEOUT: 4408,
  /** A frame over the size limit (set by ws itself). */
  TOO_BIG: 1009,
  /** The client reads too slowly (its output buffer is over the limit): reconnect and catch up. */
  TRY_AGAIN_LATER: 1013,
  /** The server is stopping. */
  GOING_AWAY: 1001,
  /** The client's app schema version is not served (`schema_outdated`). */
  SCHEMA_OUTDATED: 4426,
} as const;

export function toText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/**
 * ws refuses a frame over `maxPayload` while reading its header and closes with 1009 right away.
 * Its receiver emits 'error' just before that close: a listener put in front sends our `error`
 * frame first, so the client learns why. (ws 8 internals, guarded: without them, close 1009 alone.)
 */
export function watchOversizeFrames(ws: WebSocket, onOversize: () => void): void {
  const receiver = (ws as unknown as { _receiver?: { prependListener?: (ev: string, fn: (e: { code?: string }) => void) => void } })._receiver;
  receiver?.prependListener?.('error', (err) => {
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') onOversize();
  });
}
