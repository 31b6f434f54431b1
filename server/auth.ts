/**
 * HMAC-SHA256 signed tokens for the reference server.
 *
 * token = base64url(JSON payload) + '.' + base64url(HMAC-SHA256(secret, first part))
 * payload = { sub: string, exp: number }   (`exp` in SECONDS since the epoch, as in JWT)
 *
 * Deliberately tiny (no algorithm field, no header): the server and whoever issues tokens share
 * one secret. A deployment with an identity provider would verify its JWTs here instead.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { left, right, type Either } from '../lib/protocol/either.js';
import { ErrorCodes, SyncError } from '../lib/errors.js';

/** What a token says: who (`sub`) and until when (`exp`, seconds since the epoch). */
export interface TokenPayload {
  /** The subject: a user or device id, handed to permission checks. */
  sub: string;
  /** Expiry, in seconds since the epoch. */
  exp: number;
}

/** Largest token accepted, in characters (a hostile hello cannot make us hash megabytes). */
const MAX_TOKEN_CHARS = 4096;

/** Sign a payload with the shared secret. */
export function signToken(secret: string, payload: TokenPayload): string {
  const body = Buffer.from(JSON.stringify({ sub: payload.sub, exp: payload.exp }), 'utf8').toString('base64url');
  return `${body}.${mac(secret, body)}`;
}

/**
 * Check a token's signature and expiry against `nowMs` (milliseconds, from the server's clock).
 * Returns the payload, or an `auth_error` SyncError saying what was wrong. Never throws.
 */
export function verifyToken(secret: string, token: unknown, nowMs: number): Either<SyncError, TokenPayload> {
  if (typeof token !== 'string' || token.length === 0) return left(authError('missing token'));
  if (token.length > MAX_TOKEN_CHARS) return left(authError('token too long'));
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return left(authError('malformed token'));
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = Buffer.from(mac(secret, body), 'base64url');
  // Constant-time compare; lengths differ only for a forged or mangled signature.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return left(authError('bad token signature'));
  const payload = parsePayload(body);
  if (payload === null) return left(authError('malformed token payload'));
  if (payload.exp * 1000 <= nowMs) return left(authError(`token expired at ${new Date(payload.exp * 1000).toISOString()}`));
  return right(payload);
}

function mac(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}

function parsePayload(body: string): TokenPayload | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    if (typeof v !== 'object' || v === null) return null;
    const { sub, exp } = v as Record<string, unknown>;
    if (typeof sub !== 'string' || sub.length === 0 || typeof exp !== 'number' || !Number.isFinite(exp)) return null;
    return { sub, exp };
  } catch {
    // Signed but not JSON: only possible with the right secret and a broken issuer.
    return null;
  }
}

function authError(message: string): SyncError {
  return new SyncError(ErrorCodes.AUTH, message);
}
