/**
 * A node killed mid-stream (SIGKILL, a real `rx-sync-server` process on PostgreSQL): a real
 * client given BOTH nodes' URLs fails over to the other node and resumes from its LSN; nothing it
 * wrote is lost or applied twice, and it ends with exactly the server's rows.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { createSyncClient, type SyncClient } from '../../../lib/index.js';
import { startSyncServer, type SyncServer } from '../../../server/index.js';
import { freshPgUrl } from '../../support/pg.js';
import { TEST_SCHEMA } from '../../support/schema.js';
import { eventually, waitFor } from '../../support/wait.js';
import { tempDir } from '../helpers.js';

/** Start the CLI on `db`; resolves with the process and its ws:// URL (from its start line). */
function startNode(db: string, schemaFile: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', '--db', db, '--schema', schemaFile, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (ws:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.once('exit', (code) => reject(new Error(`node exited ${code} before its start line: ${err}`)));
  });
}

describe('a node killed mid-stream (PostgreSQL, two nodes)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let b: SyncServer | null = null;
  let killed: ChildProcess | null = null;
  let client: SyncClient | null = null;
  afterEach(async () => {
    await client?.close().catch(() => undefined);
    killed?.kill('SIGKILL');
    await b?.close();
    tmp.cleanup();
  });

  it('its clients fail over to the next URL and resume from their LSN: nothing lost, nothing applied twice', async () => {
    tmp = tempDir();
    const schemaFile = join(tmp.dir, 'schema.json');
    writeFileSync(schemaFile, JSON.stringify(TEST_SCHEMA));
    const db = freshPgUrl();
    const a = await startNode(db, schemaFile);
    killed = a.child;
    b = await startSyncServer({ host: '127.0.0.1', port: 0, db, schema: TEST_SCHEMA, logger: 'silent' });
    client = createSyncClient({ url: [a.url, b.url], schema: TEST_SCHEMA, worker: false, storage: 'memory', clientId: 'failover', backoff: { initialDelay: 10, maxDelay: 50 } });
    await client.ready;
    await waitFor(client.status$, (s) => s.connection === 'synced', 'connected to node A');
    const N = 120;
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) {
      writes.push(client.insert('todos', { id: `t${i}`, title: `row ${i}`, done: 0 }));
      if (i === N / 2) {
        // Mid-stream: some acked, some in flight, some not sent yet.
        await eventually(async () => (await client!.query<{ n: number }>("SELECT count(*) AS n FROM local_changes WHERE status = 'synced'"))[0]!.n > 10, 'some acked by A');
        a.child.kill('SIGKILL');
      }
    }
    await Promise.all(writes);
    await waitFor(client.status$, (s) => s.connection === 'synced' && s.pending === 0 && s.lsn >= N, 'everything acked (by node B)', 30_000);
    expect(b.lsn()).toBe(N);
    const direct = new pg.Client({ connectionString: process.env['RSW_PG_URL'] });
    await direct.connect();
    try {
      await direct.query(`SET search_path = ${new URL(db).searchParams.get('schema')}`);
      const r = await direct.query("SELECT count(*)::int AS n, count(DISTINCT change_id)::int AS d, count(DISTINCT entity_id)::int AS rows FROM rsw_change_log WHERE client_id = 'failover'");
      expect(r.rows[0]).toEqual({ n: N, d: N, rows: N });
    } finally {
      await direct.end();
    }
    const rows = await client.query<{ id: string }>('SELECT id FROM todos');
    expect(rows.length).toBe(N);
  }, 60_000);
});
