/**
 * Where a PostgreSQL frame's time goes (not a spec: a measuring script). An in-process server on a
 * fresh schema of `<db url>` (or `:memory:` for the SQLite backend), WRITERS writers (default 1)
 * sending 100 frames of 500 inserts in all, 2 awaiting their ack each, READERS clients receiving
 * the broadcasts (default 50; 0 keeps their work off the server's event loop):
 *
 *   READERS=0 WRITERS=5 ROUNDS=3 node --import tsx spec/server/support/pg-write-profile.ts <checkout> postgres://postgres@127.0.0.1:5432/<db>
 *
 * Prints per round the changes/s, the time awaited on PostgreSQL queries, by the first words of
 * the query, and the event-loop utilisation. The query timing only sees the `pg` module of the
 * checkout this script runs from (another checkout's server prints 0 queries).
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { WebSocket } from 'ws';
import { clientFrames } from '../../../bench/node/ws-client.js';
import { BENCH_SCHEMA } from '../../../bench/shared/data.js';

const root = process.argv[2] ?? process.cwd();
const db = process.argv[3] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const readers = Number(process.env['READERS'] ?? 50);
const writers = Number(process.env['WRITERS'] ?? 1);
const rounds = Number(process.env['ROUNDS'] ?? 3);

let awaited = 0;
let queries = 0;
const byKind = new Map<string, number>();
const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
const original = proto.query;
proto.query = function (this: unknown, ...args: unknown[]) {
  const t0 = performance.now();
  queries++;
  const q = args[0] as string | { text?: string } | undefined;
  const kind = String(typeof q === 'string' ? q : q?.text).trim().slice(0, 18);
  const r = original.apply(this, args) as Promise<unknown> | undefined;
  const took = () => {
    const ms = performance.now() - t0;
    awaited += ms;
    byKind.set(kind, (byKind.get(kind) ?? 0) + ms);
  };
  if (r && typeof r.then === 'function') r.then(took, took);
  return r;
};

const open = (url: string, clientId: string) =>
  new Promise<WebSocket>((ok) => {
    const ws = new WebSocket(url);
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'hello', protocol: 1, client_id: clientId, last_lsn: 0 }));
      ok(ws);
    });
  });

for (let round = 0; round < rounds; round++) {
  const { startSyncServer } = (await import(`${root}/server/index.ts`)) as typeof import('../../../server/index.js');
  let url = db;
  if (db !== ':memory:') {
    const u = new URL(db);
    u.searchParams.set('schema', `rsw_prof_${process.pid}_${round}`);
    url = u.toString();
  }
  const server = await startSyncServer({ host: '127.0.0.1', port: 0, db: url, schema: BENCH_SCHEMA, logger: 'silent', limits: { framesPerSecond: 1e9, frameBurst: 1e9 } });
  const listening = await Promise.all(Array.from({ length: readers }, (_, i) => open(server.url, `r${i}`)));
  awaited = 0;
  queries = 0;
  byKind.clear();
  const t0 = performance.now();
  const elu0 = performance.eventLoopUtilization();
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    const frames = clientFrames(1 + w, `w${round}_${w}`, Math.floor(100 / writers), 500);
    const ws = await open(server.url, `w${w}`);
    await new Promise((ok) => ws.once('message', ok));
    let sent = 0;
    let acked = 0;
    await new Promise<void>((done) => {
      ws.on('message', (d: Buffer) => {
        if (!d.subarray(0, 20).toString().includes('change_ack')) return;
        acked++;
        if (sent < frames.length) ws.send(frames[sent++]!);
        if (acked === frames.length) done();
      });
      ws.send(frames[sent++]!);
      ws.send(frames[sent++]!);
    });
    ws.close();
  }));
  const ms = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0).utilization;
  const changes = Math.floor(100 / writers) * writers * 500;
  console.log(`${Math.round(changes / (ms / 1000))} changes/s, ${ms.toFixed(0)} ms; awaited on PostgreSQL ${awaited.toFixed(0)} ms in ${queries} queries; event loop ${elu.toFixed(2)}`);
  console.log('  ' + [...byKind].map(([k, v]) => `${JSON.stringify(k)} ${v.toFixed(0)} ms`).join(', '));
  listening.forEach((r) => r.close());
  await server.close();
}
