/**
 * A/B of the server's write path for two checkouts in ONE process, alternating (not a spec):
 *
 *   node --import tsx spec/server/support/ab-throughput.ts <checkout A> <checkout B>
 *
 * One writer sends 100 frames of 500 inserts (bench data, 2 awaiting their ack), 50 clients
 * receive the broadcasts; prints changes/s per checkout, RSW_ROUNDS rounds (default 3), then the median and range per checkout.
 */
import { WebSocket } from 'ws';
import { clientFrames } from '../../../bench/node/ws-client.js';
import { BENCH_SCHEMA } from '../../../bench/shared/data.js';
const roots = process.argv.slice(2);
const rounds = Number(process.env.RSW_ROUNDS ?? 3);
const rates = new Map<string, number[]>(roots.map((r) => [r, []]));
for (let rep = 0; rep < rounds; rep++) for (const root of roots) {
  const { startSyncServer } = await import(`${root}/server/index.ts`);
  const server = await startSyncServer({ host: '127.0.0.1', port: 0, db: ':memory:', schema: BENCH_SCHEMA, logger: 'silent', limits: { framesPerSecond: 1e9, frameBurst: 1e9 } });
  const frames = clientFrames(1, `w${rep}`, 100, 500);
  const readers = await Promise.all(Array.from({ length: 50 }, (_, i) => new Promise<WebSocket>((ok) => { const ws = new WebSocket(server.url); ws.on('open', () => { ws.send(JSON.stringify({ type: 'hello', protocol: 1, client_id: `r${i}`, last_lsn: 0 })); ok(ws); }); })));
  const ws = new WebSocket(server.url);
  await new Promise((ok) => ws.on('open', ok));
  ws.send(JSON.stringify({ type: 'hello', protocol: 1, client_id: 'w', last_lsn: 0 }));
  await new Promise((ok) => ws.once('message', ok));
  const t0 = performance.now();
  let sent = 0, acked = 0;
  await new Promise<void>((done) => {
    ws.on('message', (d: Buffer) => { if (d.subarray(0, 20).toString().includes('change_ack')) { acked++; if (sent < frames.length) ws.send(frames[sent++]!); if (acked === frames.length) done(); } });
    ws.send(frames[sent++]!); ws.send(frames[sent++]!);
  });
  const ms = performance.now() - t0;
  const rate = Math.round((frames.length * 500) / (ms / 1000));
  rates.get(root)!.push(rate);
  console.log(root.padEnd(20), rate, 'changes/s');
  ws.close(); readers.forEach((r) => r.close());
  await server.close();
}
for (const [root, rs] of rates) {
  const sorted = [...rs].sort((a, b) => a - b);
  console.log(root.padEnd(20), 'median', sorted[Math.floor(sorted.length / 2)], 'range', sorted[0], '-', sorted[sorted.length - 1]);
}
