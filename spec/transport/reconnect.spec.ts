/**
 * Reconnecting against fake sockets in virtual time: full-jitter backoff (exact for a fixed
 * random sequence), token per reconnect, auth rejection without a tight loop, heartbeat,
 * connect timeout, and the `online` shortcut.
 */
import { ErrorCodes } from '../../lib/errors.js';
import type { TransportState } from '../../lib/engine/ports.js';
import type { FakeSocket } from './fake-socket.js';
import { harness, type Harness } from './harness.js';

describe('transport: reconnect', () => {
  let h: Harness;
  afterEach(() => h.dispose());

  /** After a close: let RWS create its waiting wrapper, then check the dial happens exactly `delay` later. */
  async function expectDialAfter(delay: number, n: number): Promise<FakeSocket> {
    await h.settle();
    const from = h.scheduler.now();
    if (delay > 0) {
      h.advance(delay - 1);
      expect(h.sockets.length).withContext(`no dial before ${delay} ms`).toBe(n);
    }
    h.advance(delay > 0 ? 1 : 0);
    expect(h.sockets.length).withContext(`dial at ${delay} ms`).toBe(n + 1);
    expect(h.sockets[n]!.dialledAt - from).toBe(delay);
    return h.sockets[n]!;
  }

  it('waits floor(random * min(maxDelay, initialDelay * 2^(n-1))) before retry n; welcome resets the series', async () => {
    h = harness();
    h.transport.connect();
    let s = await h.socket(0);
    expect(s.dialledAt).toBe(0); // connect() dials at once
    // randoms 0.5, 0.25, 0.75, 0.1, 0.99 over ceilings 100, 200, 400, 800, 1000 (capped from 1600)
    const expected = [50, 50, 300, 80, 990];
    for (let i = 0; i < expected.length; i++) {
      s.fail('connection refused');
      s = await expectDialAfter(expected[i]!, i + 1);
    }
    expect(h.errors.length).toBe(5);
    expect(h.errors.every((e) => e.code === ErrorCodes.CONNECTION)).toBeTrue();
    expect(h.errors[0]!.message).toContain('connection refused');
    // A handshake resets the series: the next drop waits within the first ceiling (0.5 * 100).
    await h.handshake(s);
    s.drop(1001, 'going away');
    await expectDialAfter(50, 6);
  });

  it('calls token() at every reconnect and sends a fresh hello each time', async () => {
    h = harness();
    h.transport.connect();
    for (let i = 0; i < 3; i++) {
      const s = await h.socket(i);
      h.setLsn(10 * i);
      await h.handshake(s);
      expect(s.frames()[0]).toEqual({ type: 'hello', protocol: 1, client_id: 'client-1', last_lsn: 10 * i, token: `token-${i + 1}` });
      s.drop(1006);
      await h.settle();
      h.advance(1000);
    }
    expect(h.tokens).toEqual(['token-1', 'token-2', 'token-3']);
  });

  it('auth_error: reports AUTH once, closes, and does not redial before authRetryDelay', async () => {
    h = harness({ authRetryDelay: 60_000 });
    h.transport.connect();
    const s0 = await h.socket(0);
    s0.open();
    await h.until(() => s0.sent.length > 0, 'hello');
    s0.receive({ type: 'error', code: ErrorCodes.AUTH, message: 'token expired' });
    expect(s0.closedWith?.code).toBe(4401);
    expect(h.errors.map((e) => e.code)).toEqual([ErrorCodes.AUTH]);
    expect(h.messages).toEqual([]);
    // An online event does not cut an auth wait short (the token is still bad).
    await h.settle();
    h.online.next(true);
    await expectDialAfter(60_000, 1);
  });

  it('schema_outdated: reports it once, closes, and waits authRetryDelay like an auth rejection (no redial loop)', async () => {
    h = harness({ authRetryDelay: 60_000 });
    h.transport.connect();
    const s0 = await h.socket(0);
    s0.open();
    await h.until(() => s0.sent.length > 0, 'hello');
    s0.receive({ type: 'error', code: ErrorCodes.SCHEMA_OUTDATED, message: 'schema version 1 is no longer served' });
    expect(h.errors.map((e) => [e.code, e.message])).toEqual([[ErrorCodes.SCHEMA_OUTDATED, 'schema version 1 is no longer served']]);
    expect(h.messages).toEqual([]);
    await expectDialAfter(60_000, 1);
  });

  it('close 4401 from the server: AUTH error; with authRetryDelay Infinity it waits for connect()', async () => {
    h = harness({ authRetryDelay: Infinity });
    h.transport.connect();
    const s0 = await h.socket(0);
    s0.open();
    s0.drop(4401, 'unauthorized');
    expect(h.errors.map((e) => e.code)).toEqual([ErrorCodes.AUTH]);
    await h.settle();
    h.advance(24 * 3600_000);
    expect(h.sockets.length).toBe(1);
    h.transport.connect();
    const s1 = await h.socket(1);
    expect(s1.dialledAt).toBe(24 * 3600_000);
    await h.handshake(s1);
    expect(h.tokens).toEqual(['token-1', 'token-2']);
  });

  it('heartbeat: pings after interval of silence; a silent connection is closed at interval + timeout and redialled', async () => {
    h = harness();
    h.transport.connect();
    const s0 = await h.socket(0);
    await h.handshake(s0);
    h.advance(999);
    expect(s0.frames().map((f) => f.type)).toEqual(['hello']);
    h.advance(1);
    expect(s0.frames()[1]).toEqual({ type: 'ping', t: 1000 });
    // A pong (any frame) restarts the count.
    s0.receive({ type: 'pong', t: 1000 });
    h.advance(1499);
    expect(s0.closedWith).toBeNull();
    h.advance(1); // 1000 ms to the ping, 500 ms with no answer: dead
    expect(s0.closedWith).toEqual({ terminated: true });
    expect(h.errors.map((e) => e.code)).toEqual([ErrorCodes.CONNECTION]);
    expect(h.errors[0]!.message).toContain('heartbeat');
    expect(h.stateNames().at(-1)).toBe('closed');
    await expectDialAfter(50, 1);
  });

  it('connect timeout: no welcome within connectTimeout -> closed and redialled', async () => {
    h = harness({ connectTimeout: 2000 });
    h.transport.connect();
    const s0 = await h.socket(0);
    s0.open(); // opens, hello goes out, but the server never answers
    await h.until(() => s0.sent.length > 0, 'hello');
    h.advance(1999);
    expect(s0.closedWith).toBeNull();
    h.advance(1);
    expect(s0.closedWith?.terminated).toBeTrue();
    expect(h.errors[0]!.message).toContain('connect timeout');
    await expectDialAfter(50, 1);
  });

  it('an online event ends a backoff wait at once', async () => {
    h = harness({ random: () => 0.99, backoff: { initialDelay: 10_000, maxDelay: 60_000, multiplier: 2 } });
    h.transport.connect();
    const s0 = await h.socket(0);
    s0.fail('network down');
    await h.settle();
    h.advance(3000); // the wait is 9900 ms
    expect(h.sockets.length).toBe(1);
    h.online.next(false);
    expect(h.sockets.length).toBe(1);
    h.online.next(true);
    expect(h.sockets.length).toBe(2);
    expect(h.sockets[1]!.dialledAt).toBe(3000);
  });

  it('connect() during a backoff wait dials at once', async () => {
    h = harness({ random: () => 0.99 });
    h.transport.connect();
    (await h.socket(0)).fail('refused');
    await h.settle();
    h.advance(10);
    h.transport.connect();
    expect(h.sockets.length).toBe(2);
    expect(h.sockets[1]!.dialledAt).toBe(10);
  });

  it('a socket constructor that throws (bad URL) counts as a failed dial and is retried with backoff', async () => {
    let calls = 0;
    h = harness({
      WebSocket: class {
        constructor() {
          calls++;
          throw new SyntaxError('bad url');
        }
      } as never,
    });
    h.transport.connect();
    await h.until(() => calls === 1, 'first dial');
    h.advance(0);
    expect(h.errors.map((e) => e.code)).toEqual([ErrorCodes.CONNECTION]);
    expect(h.errors[0]!.message).toContain('bad url');
    await h.settle();
    h.advance(49);
    expect(calls).toBe(1);
    h.advance(1);
    expect(calls).toBe(2);
  });

  it('token() failing is reported (AUTH) and retried with the normal backoff', async () => {
    let calls = 0;
    h = harness({ token: () => (++calls === 1 ? Promise.reject(new Error('refresh failed')) : 'fresh') });
    h.transport.connect();
    const s0 = await h.socket(0);
    s0.open();
    await h.until(() => h.errors.length > 0, 'token error');
    expect(h.errors.map((e) => [e.code, e.message])).toEqual([[ErrorCodes.AUTH, 'token() failed: refresh failed']]);
    expect(s0.sent).toEqual([]);
    const s1 = await expectDialAfter(50, 1);
    await h.handshake(s1);
    expect(s1.frames()[0]).toEqual(jasmine.objectContaining({ token: 'fresh' }));
  });

  it('every subscriber sees states in order, even when one disconnects on "open"', async () => {
    h = harness();
    h.transport.state$.subscribe((s) => s === 'open' && h.transport.disconnect());
    const late: TransportState[] = [];
    h.transport.state$.subscribe((s) => late.push(s));
    h.transport.connect();
    await h.handshake(await h.socket(0));
    expect(late).toEqual(['closed', 'connecting', 'handshaking', 'open', 'closed']);
    expect(h.stateNames()).toEqual(late);
  });
});
