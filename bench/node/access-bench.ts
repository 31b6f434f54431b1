/**
 * Access benches (Node): the real server in a worker thread, with auth, and with or without
 * access rules (bench/node/access-rules.ts).
 * - server_throughput.access: server_throughput's run with its 50 clients in 10 scopes (writers
 *   hold every scope, readers one each); a last marker change in every scope ends the run when
 *   every client has it. The same run without access rules is the baseline.
 * - scope_backfill: a real client (in-process, sql.js) holds team scopes; the rows of a team are
 *   written, then a `members` row gives the client that team: timed from that insert to the
 *   client's live query showing all the team's rows (the backfill). Baseline: the same rows
 *   written to a team the client already holds, timed from the write to the live query.
 */
import { filter, firstValueFrom } from 'rxjs';
import { createSyncClient } from '../../lib/index.js';
import { signToken } from '../../server/index.js';
import { ACCESS_BENCH_SCHEMA, BENCH_SECRET } from './access-rules.js';
import { startServerThread } from './server-handle.js';
import type { ThroughputParams } from './throughput.js';
import { WsBenchClient, clientFrames, sendWindowed } from './ws-client.js';

const token = (sub: string, claims: Record<string, unknown>) => signToken(BENCH_SECRET, { sub, exp: Math.floor(Date.now() / 1000) + 3600, ...claims });

/** One server_throughput run in 10 scopes; `access: false` is the same run on a server without rules. */
export async function accessThroughput(p: Omit<ThroughputParams, 'kind'> & { access: boolean }): Promise<{ changes: number; ms: number }> {
  const server = await startServerThread({ kind: 'sync', schema: 'access', auth: BENCH_SECRET, ...(p.access && { access: 'scopes10' as const }) });
  const clients: WsBenchClient[] = [];
  try {
    for (let i = 0; i < p.clients; i++) {
      const scope = i < p.writers ? 'all' : `s${i % 10}`;
      clients.push(await WsBenchClient.connect(server.url, `bench-ac-${i}`, token(`c${i}`, { scope })));
    }
    const perWriter = Math.floor(p.total / p.writers / p.frameSize);
    const frames = Array.from({ length: p.writers }, (_, w) => clientFrames(p.seed + w, `ac${w}`, perWriter, p.frameSize));
    const marker = clientFrames(p.seed, `marker-${p.seed}`, 1, 1);
    const changes = perWriter * p.writers * p.frameSize;
    const base = await server.lsn();
    const t0 = performance.now();
    const everyoneHasIt = Promise.all(clients.map((c) => c.reached(base + changes + 1)));
    await Promise.all(frames.map((f, w) => sendWindowed(clients[w]!, f, p.window)));
    await sendWindowed(clients[0]!, marker, 1, perWriter);
    await everyoneHasIt;
    const ms = performance.now() - t0;
    return { changes: changes + 1, ms };
  } finally {
    for (const c of clients) c.close();
    await server.close();
  }
}

/** `runs` backfills of `rows` rows each (ms from the membership insert to all rows visible); `access: false`: plain broadcasts of the same rows. */
export async function scopeBackfill(p: { rows: number; runs: number; access: boolean; seed: number }): Promise<number[]> {
  const server = await startServerThread({ kind: 'sync', schema: 'access', auth: BENCH_SECRET, access: 'members' });
  const teams = Array.from({ length: p.runs }, (_, k) => `t${p.seed}x${k}`);
  const writer = await WsBenchClient.connect(server.url, 'bench-bf-writer', token('writer', { teams }));
  const reader = createSyncClient({
    url: server.url, clientId: `bench-bf-reader-${p.seed}`, schema: ACCESS_BENCH_SCHEMA, worker: false, storage: 'memory',
    token: () => token('reader', p.access ? {} : { teams }), backoff: { initialDelay: 10, maxDelay: 100 },
  });
  const out: number[] = [];
  let acks = 0;
  try {
    await reader.ready;
    await firstValueFrom(reader.status$.pipe(filter((s) => s.connection === 'synced')));
    const frameSize = Math.min(500, p.rows);
    for (const team of teams) {
      const frames = clientFrames(p.seed, team, Math.ceil(p.rows / frameSize), frameSize);
      const visible = firstValueFrom(reader.query$<{ n: number }>(`SELECT count(*) AS n FROM items WHERE id LIKE '${team}-%'`).pipe(filter((r) => r[0]!.n >= p.rows)));
      if (p.access) {
        await sendWindowed(writer, frames, 2, acks);
        acks += frames.length;
        const t0 = performance.now();
        writer.sendText(JSON.stringify({ type: 'client_change', changes: [{ change_id: `m-${team}`, entity: 'members', entity_id: `m-${team}`, op: 'insert', data: { id: `m-${team}`, user: 'reader', team } }] }));
        await visible;
        out.push(performance.now() - t0);
        await writer.acked(++acks);
      } else {
        const t0 = performance.now();
        await sendWindowed(writer, frames, 2, acks);
        acks += frames.length;
        await visible;
        out.push(performance.now() - t0);
      }
    }
    return out;
  } finally {
    await reader.close().catch(() => undefined);
    writer.close();
    await server.close();
  }
}
