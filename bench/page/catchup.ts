/**
 * catch_up: a client goes offline, the Node driver makes `n` changes on the server, the client
 * reconnects; timed from `connect()` to "synced at the server's LSN".
 * resent_after_kill: a client records `n` changes while connected; mid-stream (about half acked)
 * its worker is terminated (a crash / reload); reopened, it re-sends what the server had not
 * acknowledged. Counted: re-sent, of which the server already had (duplicates), lost.
 */
import { createSyncClient, type SyncClient } from '../../lib/index.js';
import { BENCH_SCHEMA, makeRow, mulberry32 } from '../shared/data.js';
import { inBenchWorker, node, uniqueName, waitFor } from './util.js';

type Storage = 'memory' | 'indexeddb';

function open(url: string | undefined, storage: Storage, dbName: string): SyncClient {
  return createSyncClient({ ...(url !== undefined && { url }), schema: BENCH_SCHEMA as never, storage, dbName, backoff: { initialDelay: 20, maxDelay: 200 } });
}

/** One catch-up run. */
export interface CatchUpRun {
  changes: number;
  ms: number;
}

/**
 * `runs` times: the client goes offline, `n` changes are made on the server, the client
 * reconnects; timed from `connect()` to "synced at the server's LSN". One client serves every
 * run (a new one would first have to catch up the whole log). After each run, the baseline
 * fetches the same range from the same server.
 */
export async function catchUp(p: { url: string; server: string; n: number; storage: Storage; runs: number }): Promise<{ engine: CatchUpRun; raw: CatchUpRun }[]> {
  const c = open(p.url, p.storage, uniqueName('bench-catchup'));
  // The client first catches up whatever the server already holds (earlier metrics): untimed.
  await waitFor(c.status$, (s) => s.connection === 'synced', 'client synced', 180_000);
  const out: { engine: CatchUpRun; raw: CatchUpRun }[] = [];
  for (let i = 0; i < p.runs; i++) {
    c.disconnect();
    await waitFor(c.status$, (s) => s.connection === 'disconnected', 'client offline');
    const before = (await firstStatus(c)).lsn;
    const target = await node<number>('seed', { n: p.n, server: p.server });
    const t0 = performance.now();
    c.connect();
    await waitFor(c.status$, (s) => s.connection === 'synced' && s.lsn >= target, `caught up to lsn ${target}`, 120_000);
    const ms = performance.now() - t0;
    const raw = await inBenchWorker({ cmd: 'raw_catchup', url: p.url, fromLsn: before });
    out.push({ engine: { changes: target - before, ms }, raw });
  }
  await c.close();
  return out;
}

function firstStatus(c: SyncClient) {
  return waitFor(c.status$, () => true, 'a status');
}

/** What happened around a kill. */
export interface KillRun {
  /** Insert promises resolved before the kill (reported recorded). */
  recorded: number;
  /** Local changes in the reopened database (durable). */
  durable: number;
  /** Pending at reopen: what the client re-sends. */
  resent: number;
  /** Of the re-sent, the ones the server already had (acked or in flight at the kill). */
  duplicates: number;
  /** Reported recorded but not in the server's log in the end. */
  lost: number;
}

/** Record `n` changes on a connected client, kill its worker about halfway through the acks, reopen. */
export async function killAndResend(p: { url: string; server: string; n: number; seed: number }): Promise<KillRun> {
  const lsn = () => node<number>('lsn', { server: p.server });
  const dbName = uniqueName('bench-kill');
  const a = open(p.url, 'indexeddb', dbName);
  await waitFor(a.status$, (s) => s.connection === 'synced', 'client synced', 30_000);
  const base = await lsn();
  const rnd = mulberry32(p.seed);
  const prefix = uniqueName('kill');
  let recorded = 0;
  let killed = false;
  const chunk = Math.max(1, Math.floor(p.n / 50));
  for (let i = 0; i < p.n; i += chunk) {
    const writes = [];
    for (let j = i; j < Math.min(p.n, i + chunk); j++) writes.push(a.insert('items', makeRow(rnd, prefix, j)).then(() => recorded++, () => undefined));
    // Kill mid-stream: once the server holds about half of them, with this chunk still in flight.
    if ((await lsn()) - base >= p.n / 2) {
      a.terminate();
      killed = true;
      await Promise.all(writes);
      break;
    }
    await Promise.all(writes);
  }
  // Everything was acked before half showed up on the server (should not happen): kill at the end.
  if (!killed) a.terminate();
  // Offline reopen: what survived, and what is still to send.
  const b = open(undefined, 'indexeddb', dbName);
  await b.ready;
  const [{ n: durable }] = await b.query<{ n: number }>("SELECT count(*) AS n FROM local_changes WHERE origin = 'local'");
  const resent = (await b.pendingChanges()).length;
  await b.close();
  const lsnAtReopen = await lsn();
  const c = open(p.url, 'indexeddb', dbName);
  await waitFor(c.status$, (s) => s.connection === 'synced' && s.pending === 0, 're-sent and acked', 60_000);
  const final = await lsn();
  await c.close();
  const newOnServer = final - lsnAtReopen;
  return { recorded, durable, resent, duplicates: resent - newOnServer, lost: Math.max(0, recorded - (final - base)) };
}
