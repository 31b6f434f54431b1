/**
 * Tokens: standard JWTs (compact JWS), verified with `jose`.
 *
 * - Shared secret: HS256 (what {@link signToken} makes: test tokens, the CLI `token` command).
 * - An identity provider: RS256 / ES256 with its JWKS URL or a PEM public key.
 * `sub` and `exp` (SECONDS since the epoch) are required; `aud` / `iss` are checked when set.
 * Before jose sees a token, each of its three parts must be strict, canonical base64url (no
 * padding, no junk appended, no stray bits): one token has one spelling.
 */
import { createHmac } from 'node:crypto';
import { left, right, type Either } from '../lib/protocol/either.js';
import { createRemoteJWKSet, errors as joseErrors, importSPKI, jwtVerify, type JWTVerifyGetKey, type KeyObject } from 'jose';
import { ErrorCodes, SyncError } from '../lib/errors.js';

/** What a token says: who (`sub`) and until when (`exp`, seconds since the epoch), plus any other claims. */
export interface TokenPayload {
  /** The subject: a user or device id, handed to permission checks. */
  sub: string;
  /** Expiry, in seconds since the epoch. */
  exp: number;
  [claim: string]: unknown;
}

/** How the server checks tokens (`startSyncServer({ auth })`). Exactly one key source. */
export interface AuthOptions {
  /** HS256 shared secret (at least 16 characters). */
  secret?: string;
  /** PEM (SPKI) public key of the issuer, for RS256 / ES256. */
  publicKey?: string;
  /** JWKS URL of the issuer (keys picked by `kid`), for RS256 / ES256. */
  jwksUrl?: string;
  /** Algorithm of `publicKey` / accepted from the JWKS. Default `RS256` (`ES256` also accepted from a JWKS). */
  algorithm?: 'RS256' | 'ES256';
  /** Required `aud` (one of). */
  audience?: string | string[];
  /** Required `iss`. */
  issuer?: string;
}

/** Checks one token against the server's clock (ms). Never throws. */
export type TokenVerifier = (token: unknown, nowMs: number) => Promise<Either<SyncError, TokenPayload>>;

/** Largest token accepted, in characters (a hostile hello cannot make us parse megabytes). */
const MAX_TOKEN_CHARS = 8192;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Sign an HS256 JWT with the shared secret: `{ sub, exp, ...claims }` (exp in seconds).
 * Synchronous, for tests, scripts and the CLI `token` command.
 */
export function signToken(secret: string, payload: TokenPayload): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(payload));
  const mac = createHmac('sha256', secret).update(`${header}.${body}`).digest('base64url');
  return `${header}.${body}.${mac}`;
}

/** Check an HS256 token made with `secret` (see {@link createVerifier} for every option). */
export function verifyToken(secret: string, token: unknown, nowMs: number): Promise<Either<SyncError, TokenPayload>> {
  return hmacVerifier(secret, {})(token, nowMs);
}

/** Build the verifier for the server's auth options (imports the PEM key once). */
export async function createVerifier(auth: AuthOptions): Promise<TokenVerifier> {
  const sources = [auth.secret, auth.publicKey, auth.jwksUrl].filter((s) => s !== undefined).length;
  if (sources !== 1) throw new RangeError('auth needs exactly one of secret, publicKey, jwksUrl');
  if (auth.secret !== undefined) {
    if (auth.secret.length < 16) throw new RangeError('auth.secret must be at least 16 characters');
    return hmacVerifier(auth.secret, auth);
  }
  const algorithm = auth.algorithm ?? 'RS256';
  if (auth.publicKey !== undefined) {
    const key = await importSPKI(auth.publicKey, algorithm);
    return joseVerifier(key, [algorithm], auth);
  }
  const jwks = createRemoteJWKSet(new URL(auth.jwksUrl!));
  return joseVerifier(jwks, auth.algorithm ? [auth.algorithm] : ['RS256', 'ES256'], auth);
}

function hmacVerifier(secret: string, auth: AuthOptions): TokenVerifier {
  return joseVerifier(new TextEncoder().encode(secret), ['HS256'], auth);
}

function joseVerifier(key: Uint8Array | KeyObject | CryptoKey | JWTVerifyGetKey, algorithms: string[], auth: AuthOptions): TokenVerifier {
  return async (token, nowMs) => {
    const shape = checkShape(token);
    if (shape !== null) return left(authError(shape));
    try {
      const { payload } = await jwtVerify(token as string, key as Uint8Array, {
        algorithms,
        currentDate: new Date(nowMs),
        requiredClaims: ['sub', 'exp'],
        ...(auth.audience !== undefined ? { audience: auth.audience } : {}),
        ...(auth.issuer !== undefined ? { issuer: auth.issuer } : {}),
      });
      if (typeof payload.sub !== 'string' || payload.sub.length === 0 || typeof payload.exp !== 'number') return left(authError('token needs a "sub" and an "exp"'));
      return right(payload as TokenPayload);
    } catch (e) {
      return left(authError(describeJoseError(e)));
    }
  };
}

/** Null when the token is three parts of strict, canonical base64url; else what is wrong. */
function checkShape(token: unknown): string | null {
  if (typeof token !== 'string' || token.length === 0) return 'missing token';
  if (token.length > MAX_TOKEN_CHARS) return 'token too long';
  const parts = token.split('.');
  if (parts.length !== 3) return 'malformed token (a JWT has three parts)';
  for (const p of parts) {
    if (!BASE64URL.test(p) || Buffer.from(p, 'base64url').toString('base64url') !== p) return 'malformed token (not strict base64url)';
  }
  return null;
}

function describeJoseError(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) {
    const exp = (e.payload as { exp?: unknown }).exp;
    return typeof exp === 'number' ? `token expired at ${new Date(exp * 1000).toISOString()}` : 'token expired';
  }
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad token signature';
  if (e instanceof joseErrors.JWTClaimValidationFailed) return `token claim "${e.claim}" rejected: ${e.reason}`;
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm not allowed';
  if (e instanceof joseErrors.JWKSNoMatchingKey) return 'no key of the issuer matches the token';
  if (e instanceof joseErrors.JWSInvalid || e instanceof joseErrors.JWTInvalid) return `malformed token: ${e.message}`;
  return `token not accepted: ${(e as Error).message ?? String(e)}`;
}

function b64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function authError(message: string): SyncError {
  return new SyncError(ErrorCodes.AUTH, message);
}
