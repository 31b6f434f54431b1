/**
 * first_sync: a FRESH client (the real client, in-process host, sql.js, memory storage) syncing a
 * table of `rows` live rows from a server whose log holds `updates` updates of them, against a
 * fresh client syncing `rows` rows that have no history (another server, same rows), same run.
 * Timed from createSyncClient to `synced` at the server's LSN (start-up is the same on both sides).
 */
import { createSyncClient } from '../../lib/index.js';
import { BENCH_SCHEMA } from '../shared/data.js';
import { startServerThread, type ServerHandle } from './server-handle.js';
import { WsBenchClient, clientFrames, sendWindowed } from './ws-client.js';

/** Changes per seeding frame (the server's maxChangesPerFrame is 5000). */
const SEED_FRAME = 5000;

/** Seed `rows` inserts, then `updates` updates spread over them; resolves with the server's LSN. */
export async function seedHistory(server: ServerHandle, rows: number, updates: number): Promise<number> {
  const w = await WsBenchClient.connect(server.url, 'bench-first-sync-seeder');
  try {
    const size = Math.min(SEED_FRAME, rows);
    const inserts = clientFrames(42, 'fs', Math.ceil(rows / size), size);
    const frames = [...inserts];
    const ids = inserts.flatMap((f) => (JSON.parse(f) as { changes: { entity_id: string }[] }).changes.map((c) => c.entity_id));
    for (let u = 0; u < updates; u += SEED_FRAME) {
      const changes = [];
      for (let k = u; k < Math.min(updates, u + SEED_FRAME); k++) {
        changes.push({ change_id: `fs-u${k}`, entity: 'items', entity_id: ids[k % ids.length]!, op: 'update', data: { qty: k, title: `update ${k}` } });
      }
      frames.push(JSON.stringify({ type: 'client_change', changes }));
    }
    await sendWindowed(w, frames, 2);
  } finally {
    w.close();
  }
  return server.lsn();
}

/** One first sync: a fresh client until synced at `lsn`; returns the rows it holds, the time and the size of its database. */
export async function firstSync(url: string, lsn: number, rows: number, run: number): Promise<{ changes: number; ms: number; dbBytes: number }> {
  const t0 = performance.now();
  const c = createSyncClient({ url, schema: BENCH_SCHEMA, worker: false, storage: 'memory', clientId: `bench-first-sync-${run}-${Math.random().toString(36).slice(2)}`, logLevel: 'silent' });
  try {
    await new Promise<void>((resolve, reject) => {
      const sub = c.status$.subscribe((s) => {
        if (s.connection === 'synced' && s.lsn >= lsn) {
          sub.unsubscribe();
          resolve();
        } else if (performance.now() - t0 > 300_000) reject(new Error(`first_sync: not synced at ${lsn} in 300 s`));
      });
    });
    const ms = performance.now() - t0;
    const held = (await c.query<{ n: number }>('SELECT count(*) AS n FROM items'))[0]!.n;
    if (held !== rows) throw new Error(`first_sync: the client holds ${held} rows, the server ${rows}`);
    // The replica's size (entity rows, history, indexes): what the worker keeps in memory.
    const size = await c.query<{ b: number }>('SELECT (SELECT page_count FROM pragma_page_count()) * (SELECT page_size FROM pragma_page_size()) AS b');
    return { changes: rows, ms, dbBytes: size[0]!.b };
  } finally {
    await c.close();
  }
}

/** Both servers of one backend, seeded: one with history, one without. */
export async function firstSyncServers(db: () => string | undefined, rows: number, updates: number): Promise<{ history: ServerHandle; fresh: ServerHandle; historyLsn: number; freshLsn: number }> {
  const [dbHistory, dbFresh] = [db(), db()];
  const history = await startServerThread({ kind: 'sync', ...(dbHistory !== undefined && { db: dbHistory }) });
  const fresh = await startServerThread({ kind: 'sync', ...(dbFresh !== undefined && { db: dbFresh }) });
  const historyLsn = await seedHistory(history, rows, updates);
  const freshLsn = await seedHistory(fresh, rows, 0);
  return { history, fresh, historyLsn, freshLsn };
}
