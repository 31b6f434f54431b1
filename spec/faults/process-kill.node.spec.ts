/**
 * Process faults in Node: a client process (real in-process client on file storage) is killed
 * with SIGKILL while it writes and while a peer's changes stream in, then reopened on its file,
 * three rounds in a row. Afterwards: every write it reported recorded is on the server exactly
 * once and in its replica, nothing was recorded or applied twice, nothing failed, and its
 * replica equals the server.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, baseSeed } from './support/rng.js';
import { ServerHandle } from './support/server-handle.js';
import { Tally } from './support/tally.js';
import { TrackedClient } from './support/tracked-client.js';
import { settle } from './support/verify.js';

const child = fileURLToPath(new URL('./fixtures/kill-client.ts', import.meta.url));

/** Run the child until it reported `atLeast` writes, then SIGKILL it; resolves to what it reported. */
function runAndKill(url: string, file: string, run: string, atLeast: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, url, file, run], { stdio: ['ignore', 'pipe', 'pipe'] });
    const reported: string[] = [];
    let buffered = '';
    let stderr = '';
    let killed = false;
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!; // a line cut by the kill is not a report
      for (const line of lines) if (line.startsWith('rec ')) reported.push(line.slice(4));
      if (!killed && reported.length >= atLeast) {
        killed = true;
        proc.kill('SIGKILL');
      }
    });
    proc.on('error', reject);
    proc.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(reported) : reject(new Error(`client process exited on its own (${code}): ${stderr}`))));
  });
}

describe('faults: a client process killed with SIGKILL while writing', () => {
  const seed = baseSeed();
  const tally = new Tally('SIGKILL rounds', seed);
  let server: ServerHandle;
  const clients: TrackedClient[] = [];

  beforeEach(async () => {
    server = await ServerHandle.start();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
  });
  afterAll(() => tally.report());

  it(`3 rounds: reopened on its file, nothing reported is lost or doubled (seed ${seed})`, async () => {
    const rng = new Rng(seed);
    const file = path.join(server.dir, 'client.db');
    const peer = new TrackedClient('peer', server.url);
    clients.push(peer);
    const reported: string[] = [];
    for (let round = 0; round < 3; round++) {
      // The peer writes while the child runs, so the child is applying server batches when it dies.
      let peering = true;
      const peerWrites = (async () => {
        for (let i = 0; peering; i++) {
          await peer.write({ op: 'insert', table: 'todos', row: { id: `peer-${round}-${i}`, title: 'peer', done: 0 } });
          // Paced (part of the scenario): an in-memory write never yields to I/O on its own.
          await new Promise((r) => setTimeout(r, rng.between(1, 8)));
        }
      })();
      reported.push(...(await runAndKill(server.url, file, `k${round}`, rng.between(20, 80))));
      peering = false;
      await peerWrites;
      tally.add({ faults: { sigkill: 1 } });
    }
    const reopened = new TrackedClient('reopened', server.url, { storage: { file } });
    clients.push(reopened);
    await settle(server, [peer, reopened]);

    const ctx = `seed ${seed} (replay: RSW_SEED=${seed})`;
    const state = server.state();
    const logged = new Map<string, number>();
    for (const e of state.log) logged.set(`${e.op} ${e.entity_id}`, (logged.get(`${e.op} ${e.entity_id}`) ?? 0) + 1);
    const lost = reported.filter((r) => logged.get(r) !== 1);
    expect(lost).withContext(`${ctx}: reported writes not on the server exactly once`).toEqual([]);
    // Each (op, row) of the killed client was written once: twice in its history or the log is a duplicate.
    const local = await reopened.client.query<{ op: string; entity_id: string }>(`SELECT op, entity_id FROM local_changes WHERE origin = 'local'`);
    const localKeys = local.map((r) => `${r.op} ${r.entity_id}`);
    const mine = state.log.filter((e) => e.entity_id.startsWith('k')).map((e) => `${e.op} ${e.entity_id}`);
    expect(localKeys.length - new Set(localKeys).size).withContext(`${ctx}: recorded twice`).toBe(0);
    expect(mine.length - new Set(mine).size).withContext(`${ctx}: on the server twice`).toBe(0);
    expect(new Set(mine)).withContext(`${ctx}: the server has exactly the client's history`).toEqual(new Set(localKeys));
    const applied = await reopened.client.query<{ n: number; lsns: number }>(`SELECT count(*) AS n, count(DISTINCT lsn) AS lsns FROM local_changes WHERE origin = 'server'`);
    expect(applied[0]!.n).withContext(`${ctx}: a server change applied twice`).toBe(applied[0]!.lsns);
    expect(await reopened.client.query('SELECT * FROM todos ORDER BY id')).withContext(`${ctx}: replica = server`).toEqual(state.todos);
    expect(await reopened.client.failedChanges()).withContext(ctx).toEqual([]);
    tally.add({ cases: 1, changes: reported.length, lost: lost.length, duplicated: localKeys.length - new Set(localKeys).size + mine.length - new Set(mine).size });
  }, 60_000);
});
