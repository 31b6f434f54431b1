/**
 * server_throughput: `clients` connected bench clients, `writers` of them send `total` changes in
 * `client_change` frames of `frameSize` (each with at most `window` frames awaiting their ack);
 * timed until EVERY client has received the broadcast of the last change. Run against the real
 * server, and against the bare fan-out server (the baseline) with the same frames.
 */
import { startServerThread } from './server-handle.js';
import { WsBenchClient, clientFrames, sendWindowed } from './ws-client.js';

/** Parameters of one run. */
export interface ThroughputParams {
  kind: 'sync' | 'fanout';
  /** The sync server's database (default in-memory SQLite). */
  db?: string;
  clients: number;
  writers: number;
  total: number;
  frameSize: number;
  window: number;
  seed: number;
}

/** One run: changes accepted and broadcast to all, and the wall time. */
export async function serverThroughput(p: ThroughputParams): Promise<{ changes: number; ms: number }> {
  const server = await startServerThread({ kind: p.kind, frameSize: p.frameSize, ...(p.db !== undefined && { db: p.db }) });
  const clients: WsBenchClient[] = [];
  try {
    for (let i = 0; i < p.clients; i++) clients.push(await WsBenchClient.connect(server.url, `bench-tp-${i}`));
    const perWriter = Math.floor(p.total / p.writers / p.frameSize);
    const frames = Array.from({ length: p.writers }, (_, w) => clientFrames(p.seed + w, `tp${w}`, perWriter, p.frameSize));
    const changes = perWriter * p.writers * p.frameSize;
    const base = await server.lsn();
    const t0 = performance.now();
    const everyoneHasIt = Promise.all(clients.map((c) => c.reached(base + changes)));
    await Promise.all(frames.map((f, w) => sendWindowed(clients[w]!, f, p.window)));
    await everyoneHasIt;
    const ms = performance.now() - t0;
    const lsn = await server.lsn();
    if (lsn !== base + changes) throw new Error(`server_throughput: server lsn ${lsn}, expected ${base + changes}`);
    return { changes, ms };
  } finally {
    for (const c of clients) c.close();
    await server.close();
  }
}
