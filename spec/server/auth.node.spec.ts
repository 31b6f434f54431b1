/**
 * Auth: HMAC-SHA256 signed tokens (signToken / verifyToken), checked in `hello` when a secret is
 * configured, against the injected clock. Expired, forged or missing -> auth_error + close 4401,
 * and no data before a valid hello. Without a secret the server is open and says so at start.
 */
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { createLogger, signToken, verifyToken, type SyncServer } from '../../server/index.js';
import { TestClient, startServer, todo } from './helpers.js';

const SECRET = 'a-test-secret-of-32-characters!!';
const NOW = Date.UTC(2030, 0, 1);
const inAnHour = NOW / 1000 + 3600;

describe('server auth: tokens', () => {
  it('signs base64url(payload).base64url(hmac) and verifies it', () => {
    const token = signToken(SECRET, { sub: 'user-1', exp: inAnHour });
    const [body, mac] = token.split('.');
    expect(JSON.parse(Buffer.from(body!, 'base64url').toString('utf8'))).toEqual({ sub: 'user-1', exp: inAnHour });
    expect(mac).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const ok = verifyToken(SECRET, token, NOW);
    expect(isRight(ok) && ok.right).toEqual({ sub: 'user-1', exp: inAnHour });
  });

  it('refuses expired, forged, tampered, malformed and missing tokens with auth_error', () => {
    const good = signToken(SECRET, { sub: 'user-1', exp: inAnHour });
    const forgedPayload = Buffer.from(JSON.stringify({ sub: 'admin', exp: inAnHour })).toString('base64url') + '.' + good.split('.')[1];
    const cases: Array<[unknown, RegExp, number?]> = [
      [good, /expired/, (inAnHour + 1) * 1000],
      [signToken('another-secret-of-enough-length', { sub: 'user-1', exp: inAnHour }), /signature/],
      [forgedPayload, /signature/],
      ['no-dot-here', /malformed/],
      ['a.b.c', /malformed/],
      ['', /missing/],
      [undefined, /missing/],
      ['x'.repeat(5000), /too long/],
    ];
    for (const [token, why, at] of cases) {
      const r = verifyToken(SECRET, token, at ?? NOW);
      expect(isLeft(r)).withContext(String(token).slice(0, 30)).toBeTrue();
      if (isLeft(r)) {
        expect(r.left.code).toBe('auth_error');
        expect(r.left.message).toMatch(why);
      }
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
