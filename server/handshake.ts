/**
 * The `hello` check: protocol version, token, client id ownership, client ahead. Pure of the
 * socket: it says what to answer, the connection does it.
 */
import { isLeft } from '../lib/protocol/either.js';
import { ErrorCodes } from '../lib/errors.js';
import { PROTOCOL_VERSION, RESERVED_CLIENT_ID_PREFIX, type Hello } from '../lib/protocol/index.js';
import type { HubSettings } from './hub.js';
import type { KnownColumns } from './store.js';

/** Who a handshaken connection is. */
export interface Identity {
  clientId: string;
  /** The token's subject; null on an open server. */
  sub: string | null;
  /** When the token expires (ms since the epoch); null on an open server. */
  expMs: number | null;
  /** The token's claims (its whole payload); empty on an open server. Access rules read them. */
  claims: Record<string, unknown>;
  /** The columns the client's (older) app schema version knows; null: the newest. */
  known: KnownColumns;
}

/** What to do with a hello. */
export type HandshakeResult =
  | { kind: 'ok'; identity: Identity }
  /** Answer with an error frame; close with `close` unless null (the client may say hello again). */
  | { kind: 'refused'; code: string; message: string; close: number | null; reason: string; lsn?: number };

/** Check a hello (awaits the token check and the store). */
export async function handshake(settings: HubSettings, hello: Hello, peer: string): Promise<HandshakeResult> {
  const { store, verifier, now, logger } = settings;
  if (hello.protocol !== PROTOCOL_VERSION) {
    return { kind: 'refused', code: ErrorCodes.PROTOCOL, message: `protocol version ${hello.protocol} not supported (server speaks ${PROTOCOL_VERSION})`, close: 4400, reason: 'protocol version' };
  }
  // `rsw:` ids name the server's own entries (snapshot rows, direct database writes): no client may use one.
  if (hello.client_id.startsWith(RESERVED_CLIENT_ID_PREFIX)) {
    return { kind: 'refused', code: ErrorCodes.PROTOCOL, message: `client ids starting with "${RESERVED_CLIENT_ID_PREFIX}" are reserved: use another client id`, close: 4400, reason: 'reserved client id' };
  }
  let sub: string | null = null;
  let expMs: number | null = null;
  let claims: Record<string, unknown> = {};
  if (verifier !== null) {
    const verified = await verifier(hello.token, now());
    if (isLeft(verified)) {
      logger.warn('auth failed', { peer, client_id: hello.client_id, error: verified.left.message });
      return { kind: 'refused', code: ErrorCodes.AUTH, message: verified.left.message, close: 4401, reason: 'unauthorized' };
    }
    sub = verified.right.sub;
    expMs = verified.right.exp * 1000;
    claims = verified.right;
  }
  const schemaVersion = hello.schema_version ?? 1;
  const schemaRefusal = settings.schemas?.refusal(schemaVersion) ?? null;
  if (schemaRefusal !== null) {
    // Typed, and the client waits instead of redialling at once: it needs a new app (or server).
    logger.warn('schema version refused', { client_id: hello.client_id, schema_version: schemaVersion });
    return { kind: 'refused', code: ErrorCodes.SCHEMA_OUTDATED, message: schemaRefusal, close: 4426, reason: 'schema version' };
  }
  // Another node may have committed more than this one has heard of yet: ask the database before refusing.
  const lsn = hello.last_lsn > store.lsn() ? await store.refreshLsn() : store.lsn();
  if (hello.last_lsn > lsn) {
    // The server lost history (restored from a backup): say so; the client must resync.
    logger.warn('client ahead of server', { client_id: hello.client_id, client_lsn: hello.last_lsn, server_lsn: lsn });
    return { kind: 'refused', code: ErrorCodes.CLIENT_AHEAD, message: `client at lsn ${hello.last_lsn} is ahead of the server (lsn ${lsn}): reset and resync`, close: null, reason: '', lsn };
  }
  if (!(await store.clientSeen(hello.client_id, sub))) {
    logger.warn('client id of another user', { peer, client_id: hello.client_id, sub });
    return { kind: 'refused', code: ErrorCodes.AUTH, message: `client_id "${hello.client_id}" belongs to another user: use another client id`, close: 4403, reason: 'client id of another user' };
  }
  return { kind: 'ok', identity: { clientId: hello.client_id, sub, expMs, claims, known: settings.schemas?.known(schemaVersion) ?? null } };
}
