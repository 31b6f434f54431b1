/**
 * Seeded attack cases against the REAL server over real sockets (issue #12): each case draws a
 * few attacks from the catalogue below and runs them while an honest client writes; then a fresh
 * honest client catches up from 0 with the client's own codecs. Invariants: every attack gets its
 * clear answer, no internal error, no prototype touched, the log is gap-free, and every change
 * the honest writer was acked `applied` comes back in the catch-up (0 lost). A failure names its
 * seed: replay with `RSW_SEED=<seed> RSW_FAULTS_ATTACKS=1`.
 */
import { WebSocket } from 'ws';
import type { ClientChange } from '../../lib/protocol/index.js';
import type { Logger } from '../../server/logger.js';
import { TestClient, startServer, todo } from '../server/helpers.js';
import { prototypeFingerprint } from './support/guards.js';
import { Rng, baseSeed, envCount, seedOf } from './support/rng.js';
import { Tally } from './support/tally.js';

const LIMITS = { maxChangeBytes: 32 * 1024, pageMaxBytes: 64 * 1024, helloTimeoutMs: 150, pauseBufferedBytes: 128 * 1024 };

interface Ctx {
  url: string;
  rng: Rng;
  /** change_ids the honest writer got `applied` for. */
  honestApplied: Map<string, string>;
  tag: string;
}

async function attacker(ctx: Ctx, name: string): Promise<TestClient> {
  return (await TestClient.handshake(ctx.url, `${name}-${ctx.tag}`)).c;
}

/** Send changes; the change_ack (broadcasts of other clients' changes arriving meanwhile are skipped). */
async function ackOf(c: TestClient, changes: ClientChange[]) {
  c.send({ type: 'client_change', changes });
  for (;;) {
    const f = await c.next(undefined, 10_000);
    if (f.type === 'change_ack') return f;
    expect(f.type).toBe('server_changes');
  }
}

async function expectError(c: TestClient, code: string): Promise<void> {
  for (;;) {
    const f = await c.next(undefined, 10_000);
    if (f.type === 'error') return expect(f.code).toBe(code);
  }
}

/** Each attack does its thing and checks the server's answer. */
const ATTACKS: Record<string, (ctx: Ctx) => Promise<void>> = {
  async lone_surrogate(ctx) {
    const c = await attacker(ctx, 'surrogate');
    c.send({ type: 'client_change', changes: [todo(`ls-${ctx.tag}`, ctx.rng.chance(0.5) ? '\ud800' : 'ok', 'bad \udc00 text')] });
    await expectError(c, 'protocol_error');
    await c.close();
  },
  async oversize_change(ctx) {
    const c = await attacker(ctx, 'big');
    const ack = await ackOf(c, [todo(`big-${ctx.tag}`, `big-${ctx.tag}`, 'x'.repeat(LIMITS.maxChangeBytes + ctx.rng.int(1000)))]);
    expect(ack.acks[0]).toEqual(jasmine.objectContaining({ status: 'rejected', code: 'limit_exceeded' }));
    await c.close();
  },
  async sync_flood(ctx) {
    const c = await attacker(ctx, 'flood');
    const n = ctx.rng.between(20, 120);
    for (let i = 0; i < n; i++) c.send({ type: 'sync_request', from_lsn: 0 });
    const frames = await c.nextN(n);
    expect(frames.every((f) => f.type === 'sync_response' || f.type === 'server_changes')).toBeTrue();
    await c.close();
  },
  async non_reader(ctx) {
    const c = await attacker(ctx, 'mute');
    c.ws.pause();
    for (let i = 0; i < 30; i++) c.send({ type: 'sync_request', from_lsn: 0 });
    c.ws.terminate();
  },
  async ack_flood(ctx) {
    const c = await attacker(ctx, 'acks');
    for (let i = 0; i < 500; i++) c.send({ type: 'ack', lsn: 0 });
    c.send({ type: 'ping', t: 9 });
    for (;;) if ((await c.next()).type === 'pong') break;
    await c.close();
  },
  async huge_error_frame(ctx) {
    const c = await attacker(ctx, 'noisy');
    c.send({ type: 'error', code: 'x', message: 'm'.repeat(ctx.rng.between(2000, 200_000)) });
    await expectError(c, 'protocol_error');
    await c.close();
  },
  async non_canonical_key(ctx) {
    const c = await attacker(ctx, 'keys');
    const ack = await ackOf(c, [{ change_id: `nk-${ctx.tag}`, entity: 'counters', entity_id: ctx.rng.pick(['07', '+7', '7.0', ' 7']), op: 'delete', data: null }]);
    expect(ack.acks[0]).toEqual(jasmine.objectContaining({ status: 'rejected', code: 'schema_error' }));
    await c.close();
  },
  async reused_change_id(ctx) {
    const taken = [...ctx.honestApplied.keys()];
    if (taken.length === 0) return;
    const c = await attacker(ctx, 'reuse');
    const ack = await ackOf(c, [todo(ctx.rng.pick(taken), `reuse-${ctx.tag}`, 'mine')]);
    expect(ack.acks[0]!.status).toBe('applied'); // a change of ANOTHER client: not a duplicate
    await c.close();
  },
  async no_hello(ctx) {
    const ws = new WebSocket(ctx.url);
    ws.on('error', () => undefined);
    const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
    expect(code).toBe(4408);
  },
  async proto_escape(ctx) {
    const c = await attacker(ctx, 'proto');
    c.send(String.raw`{"type":"ping","__pro\u0074o__":{"polluted":1}}`);
    await expectError(c, 'protocol_error');
    await c.close();
  },
  async rate_burst(ctx) {
    const c = await attacker(ctx, 'burst');
    const n = ctx.rng.between(20, 80);
    for (let i = 0; i < n; i++) c.send({ type: 'client_change', changes: [todo(`rb-${ctx.tag}-${i}`, `rb-${ctx.tag}-${i}`, 'queued')] });
    let acked = 0;
    while (acked < n) {
      const f = await c.next(undefined, 10_000);
      expect(f.type).not.toBe('error'); // queued, never refused
      if (f.type === 'change_ack') acked += f.acks.length;
    }
    await c.close();
  },
};

describe('faults: seeded attacks on the real server', () => {
  const base = baseSeed();
  const cases = envCount('RSW_FAULTS_ATTACKS', Math.max(2, Math.ceil(envCount('RSW_FAULTS_CASES', 10_000) / 1250)));
  const tally = new Tally('server attacks', base);
  afterAll(() => tally.report());

  it(`${cases} cases from seed ${base}: honest clients still sync, 0 lost, no internal error`, async () => {
    const proto = prototypeFingerprint();
    for (let i = 0; i < cases; i++) {
      const seed = seedOf(base, i);
      const rng = new Rng(seed);
      const internal: string[] = [];
      const logger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m, c) => internal.push(`${m} ${JSON.stringify(c)}`) };
      // The reader below checks the whole log from LSN 0: no snapshot for a first sync here.
      const server = await startServer({ logger, limits: LIMITS, pageSize: 50, snapshotFirstSync: false });
      const ctx: Ctx = { url: server.url, rng, honestApplied: new Map(), tag: `${seed}` };
      const picked = Array.from({ length: rng.between(2, 4) }, () => rng.pick(Object.keys(ATTACKS)));
      try {
        const { c: writer } = await TestClient.handshake(server.url, `honest-${seed}`);
        const writes = (async () => {
          for (let k = 0; k < rng.between(3, 8); k++) {
            const batch = Array.from({ length: rng.between(1, 30) }, (_, j) => todo(`h-${seed}-${k}-${j}`, `h-${seed}-${k}-${j}`, 'v'.repeat(rng.int(3000))));
            const ack = await ackOf(writer, batch);
            for (const a of ack.acks) if (a.status === 'applied') ctx.honestApplied.set(a.change_id, batch.find((b) => b.change_id === a.change_id)!.entity_id);
          }
        })();
        await Promise.all([writes, ...picked.map((a) => ATTACKS[a]!(ctx))]);
        await writer.close();

        const { c: reader } = await TestClient.handshake(server.url, `reader-${seed}`, { last_lsn: 0 });
        const seen = new Map<string, number>();
        let from = 0;
        for (;;) {
          reader.send({ type: 'sync_request', from_lsn: from });
          let page;
          do page = await reader.next(undefined, 10_000);
          while (page.type !== 'sync_response');
          page.changes.forEach((ch, k) => {
            expect(ch.lsn).withContext(`seed ${seed}: gap-free`).toBe(from + k + 1);
            if (ch.client_id === `honest-${seed}`) seen.set(ch.change_id, ch.lsn);
          });
          from = page.lsn;
          if (page.complete) break;
        }
        await reader.close();
        const lost = [...ctx.honestApplied.keys()].filter((id) => !seen.has(id)).length;
        expect(lost).withContext(`seed ${seed}`).toBe(0);
        expect(from).withContext(`seed ${seed}`).toBe(server.lsn());
        expect(internal).withContext(`seed ${seed} (${picked.join(', ')})`).toEqual([]);
        expect(prototypeFingerprint()).toBe(proto);
        const faults: Record<string, number> = {};
        for (const a of picked) faults[a] = (faults[a] ?? 0) + 1;
        tally.add({ cases: 1, changes: ctx.honestApplied.size, faults, lost });
      } catch (e) {
        throw new Error(`seed ${seed} (attacks ${picked.join(', ')}): ${(e as Error).message} — replay: RSW_SEED=${seed} RSW_FAULTS_ATTACKS=1`, { cause: e });
      } finally {
        await server.close();
      }
    }
  }, 300_000);
});
