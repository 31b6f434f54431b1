/**
 * Drives a real transport against fake sockets in virtual time (a TestScheduler used as a
 * manual clock). reconnecting-websocket creates each socket wrapper one real macrotask after a
 * close, so specs `await settle()` before moving the virtual clock; a dial then happens
 * synchronously when the clock reaches it, which is what the specs assert.
 */
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { SyncError } from '../../lib/errors.js';
import type { TransportState } from '../../lib/engine/ports.js';
import type { ServerFrame } from '../../lib/protocol/index.js';
import { createTransport, type TransportOptions } from '../../lib/transport/index.js';
import { fakeSockets, type FakeSocket } from './fake-socket.js';

/** Randoms used by the specs' jitter, in order (then 0.5 forever). */
export const RANDOMS = [0.5, 0.25, 0.75, 0.1, 0.99, 0.5];

/** Build a transport on fake sockets with small, round timings. */
export function harness(overrides: Partial<TransportOptions> = {}) {
  const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
  const { FakeSocket, sockets } = fakeSockets(scheduler);
  const randoms = [...RANDOMS];
  const online = new Subject<boolean>();
  const tokens: string[] = [];
  let lastLsn = 0;
  const transport = createTransport({
    url: 'ws://fake.invalid/sync',
    WebSocket: FakeSocket,
    hello: () => ({ client_id: 'client-1', last_lsn: lastLsn }),
    token: async () => {
      tokens.push(`token-${tokens.length + 1}`);
      return tokens[tokens.length - 1]!;
    },
    scheduler,
    random: () => randoms.shift() ?? 0.5,
    backoff: { initialDelay: 100, maxDelay: 1000, multiplier: 2 },
    connectTimeout: 5000,
    heartbeat: { interval: 1000, timeout: 500 },
    bufferSize: 3,
    authRetryDelay: 60_000,
    onlineEvents: online,
    ...overrides,
  });
  const states: Array<[number, TransportState]> = [];
  const messages: ServerFrame[] = [];
  const errors: SyncError[] = [];
  transport.state$.subscribe((s) => states.push([scheduler.now(), s]));
  transport.message$.subscribe((m) => messages.push(m));
  transport.errors$.subscribe((e) => errors.push(e));

  /** Move the virtual clock forward by `ms`, running what falls due. */
  function advance(ms: number): void {
    const target = scheduler.frame + ms;
    scheduler.maxFrames = target;
    scheduler.flush();
    scheduler.frame = target;
  }

  /** Wait (bounded) until `cond` holds, yielding real macrotasks (RWS's socket creation, token promises). */
  async function until(cond: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 0));
    if (!cond()) throw new Error(`timed out waiting for ${what}`);
  }

  /** Let RWS create its next socket wrapper (one macrotask) and pending promises settle. */
  async function settle(): Promise<void> {
    for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0));
  }

  /** Wait until socket number `n` (0-based) is dialled. */
  async function socket(n: number): Promise<FakeSocket> {
    await until(() => sockets.length > n, `socket #${n}`);
    return sockets[n]!;
  }

  /** Open socket `s`, wait for its hello, answer welcome. */
  async function handshake(s: FakeSocket, serverLsn = 0): Promise<void> {
    s.open();
    await until(() => s.sent.length > 0, 'hello');
    s.receive({ type: 'welcome', server_lsn: serverLsn });
  }

  return {
    transport, scheduler, sockets, online, tokens, states, messages, errors,
    advance, until, settle, socket, handshake,
    setLsn: (n: number) => (lastLsn = n),
    stateNames: () => states.map(([, s]) => s),
    dispose: () => transport.close(),
  };
}

export type Harness = ReturnType<typeof harness>;
