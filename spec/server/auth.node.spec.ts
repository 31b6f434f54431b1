/**
 * Auth: standard JWTs (HS256 from signToken, RS256 / ES256 from an identity provider, through jose),
 * checked in `hello` against the injected clock, strict base64url, aud / iss. Expired, forged or
 * missing -> auth_error + close 4401, and no data before a valid hello; a connection is closed
 * when its token expires. Without auth the server is open and says so at start.
 */
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, jwtVerify } from 'jose';
import { createLogger, createVerifier, signToken, verifyToken, type SyncServer } from '../../server/index.js';
import { TestClient, startServer, todo } from './helpers.js';

const SECRET = 'a-test-secret-of-32-characters!!';
const NOW = Date.UTC(2030, 0, 1);
const inAnHour = NOW / 1000 + 3600;

/** 43 base64url characters carry 32 bytes: the last one's 2 low bits are unused, flip one. */
function sameBytesOtherSpelling(last: string): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return abc[abc.indexOf(last) ^ 1]!;
}

describe('server auth: tokens', () => {
  it('signs a standard HS256 JWT that jose verifies, with extra claims', async () => {
    const token = signToken(SECRET, { sub: 'user-1', exp: inAnHour, role: 'admin' });
    const [header, body, mac] = token.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString('utf8'))).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(JSON.parse(Buffer.from(body!, 'base64url').toString('utf8'))).toEqual({ sub: 'user-1', exp: inAnHour, role: 'admin' });
    expect(mac).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET), { currentDate: new Date(NOW) });
    expect(payload.sub).toBe('user-1');
    const ok = await verifyToken(SECRET, token, NOW);
    expect(isRight(ok) && ok.right).toEqual({ sub: 'user-1', exp: inAnHour, role: 'admin' });
  });

  it('refuses expired, forged, tampered, non-strict, malformed and missing tokens with auth_error', async () => {
    const good = signToken(SECRET, { sub: 'user-1', exp: inAnHour });
    const [h, , sig] = good.split('.');
    const forgedPayload = `${h}.${Buffer.from(JSON.stringify({ sub: 'admin', exp: inAnHour })).toString('base64url')}.${sig}`;
    const cases: Array<[unknown, RegExp, number?]> = [
      [good, /expired/, (inAnHour + 1) * 1000],
      [signToken('another-secret-of-enough-length', { sub: 'user-1', exp: inAnHour }), /signature/],
      [forgedPayload, /signature/],
      [`${good}AA`, /strict base64url/], // junk appended to the signature
      [`${good}=`, /strict base64url/],
      [`${good.slice(0, -1)}${sameBytesOtherSpelling(good.slice(-1))}`, /strict base64url/], // the same mac, spelt with stray bits
      [signToken(SECRET, { sub: '', exp: inAnHour }), /sub/],
      ['no-dot-here', /malformed/],
      ['a.b', /malformed/],
      ['', /missing/],
      [undefined, /missing/],
      ['x'.repeat(9000), /too long/],
    ];
    for (const [token, why, at] of cases) {
      const r = await verifyToken(SECRET, token, at ?? NOW);
      expect(isLeft(r)).withContext(String(token).slice(0, 30)).toBeTrue();
      if (isLeft(r)) {
        expect(r.left.code).toBe('auth_error');
        expect(r.left.message).withContext(String(token).slice(-30)).toMatch(why);
      }
    }
  });

  it('checks aud and iss when configured', async () => {
    const verify = await createVerifier({ secret: SECRET, audience: 'sync', issuer: 'https://id.example' });
    const right_ = await verify(signToken(SECRET, { sub: 'u', exp: inAnHour, aud: 'sync', iss: 'https://id.example' }), NOW);
    expect(isRight(right_)).toBeTrue();
    for (const claims of [{ aud: 'other', iss: 'https://id.example' }, { aud: 'sync', iss: 'https://evil.example' }, {}]) {
      const r = await verify(signToken(SECRET, { sub: 'u', exp: inAnHour, ...claims }), NOW);
      expect(isLeft(r) && r.left.message).withContext(JSON.stringify(claims)).toMatch(/claim "(aud|iss)"/);
    }
  });

  it("accepts an identity provider's RS256 (PEM) and ES256 (JWKS) tokens, and no HS256 token on such a server", async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportSPKI(rsa.publicKey);
    const byPem = await createVerifier({ publicKey: pem, audience: 'sync' });
    const rsToken = await new SignJWT({ aud: 'sync' }).setProtectedHeader({ alg: 'RS256' }).setSubject('alice').setExpirationTime(inAnHour).sign(rsa.privateKey);
    const r1 = await byPem(rsToken, NOW);
    expect(isRight(r1) && r1.right.sub).toBe('alice');
    // Algorithm confusion: an HS256 token "signed" with the PEM text as secret is refused.
    expect(isLeft(await byPem(signToken(pem, { sub: 'mallory', exp: inAnHour, aud: 'sync' }), NOW))).toBeTrue();

    const ec = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(ec.publicKey)), kid: 'k1', alg: 'ES256' };
    const jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((ok) => jwks.listen(0, '127.0.0.1', ok));
    try {
      const byJwks = await createVerifier({ jwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`, issuer: 'https://id.example' });
      const esToken = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('bob').setIssuer('https://id.example').setExpirationTime(inAnHour).sign(ec.privateKey);
      const r2 = await byJwks(esToken, NOW);
      expect(isRight(r2) && r2.right.sub).toBe('bob');
      const otherKey = await generateKeyPair('ES256');
      const stranger = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('eve').setIssuer('https://id.example').setExpirationTime(inAnHour).sign(otherKey.privateKey);
      expect(isLeft(await byJwks(stranger, NOW))).toBeTrue();
    } finally {
      await new Promise((ok) => jwks.close(ok));
    }
  });
});

describe('server auth: hello', () => {
  let server: SyncServer;
  let clock: number;
  beforeEach(async () => {
    clock = NOW;
    server = await startServer({ auth: { secret: SECRET }, now: () => clock });
  });
  afterEach(async () => server.close());

  it('welcomes a valid token and serves the client', async () => {
    expect(server.authRequired).toBeTrue();
    const { c, welcome } = await TestClient.handshake(server.url, 'c1', { token: signToken(SECRET, { sub: 'u1', exp: inAnHour }) });
    expect(welcome.server_lsn).toBe(0);
    expect((await c.commit([todo('1', 'a', 'x')])).acks[0]!.status).toBe('applied');
    await c.close();
  });

  it('closes with auth_error / 4401 an expired, badly signed or missing token, sending nothing else', async () => {
    // A broadcast happening meanwhile must not reach the unauthenticated sockets.
    const { c: writer } = await TestClient.handshake(server.url, 'w', { token: signToken(SECRET, { sub: 'w', exp: inAnHour }) });
    const expired = signToken(SECRET, { sub: 'u1', exp: NOW / 1000 - 1 });
    const badSig = signToken('not-the-server-secret-at-all!!', { sub: 'u1', exp: inAnHour });
    for (const token of [expired, badSig, undefined]) {
      const c = await TestClient.open(server.url);
      await writer.commit([todo(`w-${String(token).slice(-6)}`, 'a', 'x')]);
      c.send({ type: 'hello', protocol: 1, client_id: 'c1', last_lsn: 0, ...(token ? { token } : {}) });
      const closed = await c.closed;
      expect(closed.code).withContext(String(token)).toBe(4401);
      expect(c.received.map((f) => f.type)).toEqual(['error']);
      expect(c.received[0]).toEqual(jasmine.objectContaining({ code: 'auth_error' }));
    }
    await writer.close();
  });

  it('closes a connection when its token expires (auth_error, 4401) and refuses its frames from then on', async () => {
    const exp = Math.floor(NOW / 1000) + 1;
    clock = exp * 1000 - 300;
    const { c } = await TestClient.handshake(server.url, 'short', { token: signToken(SECRET, { sub: 'u1', exp }) });
    expect((await c.commit([todo('before', 'b', 'ok')])).acks[0]!.status).toBe('applied');
    clock = exp * 1000; // expired: a write now is refused, not applied
    c.send({ type: 'client_change', changes: [todo('after', 'b', 'too late')] });
    expect(await c.next('error')).toEqual(jasmine.objectContaining({ code: 'auth_error' }));
    expect((await c.closed).code).toBe(4401);
    expect(server.lsn()).toBe(1);
    // Without a frame, the expiry timer closes it too.
    clock = exp * 1000 - 300;
    const { c: idle } = await TestClient.handshake(server.url, 'idle', { token: signToken(SECRET, { sub: 'u2', exp }) });
    clock = exp * 1000;
    expect((await idle.closed).code).toBe(4401);
    expect(idle.received.map((f) => f.type)).toEqual(['welcome', 'error']);
  });

  it('reads expiry from the injected clock', async () => {
    const token = signToken(SECRET, { sub: 'u1', exp: inAnHour });
    clock = (inAnHour + 60) * 1000;
    const c = await TestClient.open(server.url);
    c.send({ type: 'hello', protocol: 1, client_id: 'c1', last_lsn: 0, token });
    expect((await c.closed).code).toBe(4401);
  });
});

describe('server auth: off', () => {
  it('accepts hello without a token and says at start that it is open', async () => {
    const lines: string[] = [];
    const server = await startServer({ logger: createLogger('info', (l) => lines.push(l)) });
    try {
      expect(server.authRequired).toBeFalse();
      expect(lines.some((l) => l.startsWith('WARN') && /OPEN/.test(l))).toBeTrue();
      const { c, welcome } = await TestClient.handshake(server.url, 'anyone');
      expect(welcome.type).toBe('welcome');
      await c.close();
    } finally {
      await server.close();
    }
  });

  it('refuses a secret that is too short to be a secret', async () => {
    await expectAsync(startServer({ auth: { secret: 'short' } })).toBeRejectedWithError(RangeError);
  });
});
