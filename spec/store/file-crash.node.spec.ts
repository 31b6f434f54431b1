import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes } from '../../lib/errors.js';
import { filePersistence } from '../../lib/node/file-persistence.js';
import { openStore } from '../../lib/store/index.js';
import type { SqlJsStore } from '../../lib/store/store.js';
import { ids, insert, SCHEMA, todos } from './helpers.js';

const writer = fileURLToPath(new URL('./fixtures/file-writer.ts', import.meta.url));

interface Reported {
  changes: string[];
  lsn: number;
}

/** Run the writer child until it reported `atLeast` changes, then SIGKILL it mid-stream. */
function runAndKill(path: string, run: string, atLeast: number): Promise<Reported> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, path, run], { stdio: ['ignore', 'pipe', 'pipe'] });
    const reported: Reported = { changes: [], lsn: 0 };
    let buffered = '';
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!; // a line cut by the kill is not a report
      for (const line of lines) {
        if (line.startsWith('rec ')) reported.changes.push(line.slice(4));
        else if (line.startsWith('lsn ')) reported.lsn = Number(line.slice(4));
      }
      if (!killed && reported.changes.length >= atLeast) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(reported);
      else reject(new Error(`writer exited on its own (${String(_code)}): ${stderr}`));
    });
  });
}

const open = (path: string, prefix: string): Promise<SqlJsStore> =>
  openStore({ schema: SCHEMA, persistence: filePersistence({ path }), clientId: 'child', newId: ids(prefix) });

describe('file store: a real process killed with SIGKILL mid-stream', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rsw-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loses nothing it reported, applies nothing twice, and restores the LSN of the last committed batch (twice in a row)', async () => {
    const path = join(dir, 'db.sqlite');
    const first = await runAndKill(path, 'a', 300);
    // A second life on the same files, killed again: replay + snapshot + journal across crashes.
    const second = await runAndKill(path, 'b', 150);
    const store = await open(path, 'check');
    const counts = new Map<string, number>();
    for (const r of store.query("SELECT change_id FROM local_changes WHERE origin = 'local'")) counts.set(String(r['change_id']), (counts.get(String(r['change_id'])) ?? 0) + 1);
    for (const id of [...first.changes, ...second.changes]) expect(counts.get(id)).withContext(id).toBe(1);
    // Every local row and its entity row agree (nothing half-written).
    const orphans = store.query("SELECT change_id FROM local_changes c WHERE origin = 'local' AND NOT EXISTS (SELECT 1 FROM todos t WHERE t.id = c.entity_id)");
    expect(orphans).toEqual([]);
    // One server change per batch, LSN 1..n: the count equals the LSN exactly when none is lost or doubled.
    const lsn = store.getLsn();
    expect(lsn).toBeGreaterThanOrEqual(second.lsn);
    expect(second.lsn).toBeGreaterThan(first.lsn);
    expect(store.query("SELECT count(*) AS n, max(lsn) AS top FROM local_changes WHERE origin = 'server'")).toEqual([{ n: lsn, top: lsn }]);
    expect(store.query("SELECT count(*) AS n FROM todos WHERE title = 'srv'")).toEqual([{ n: lsn }]);
    expect(store.errors.filter((e) => e.code !== ErrorCodes.JOURNAL_CORRUPT)).toEqual([]);
    await store.close();
  }, 60_000);

  it('a torn journal tail on disk: keeps the valid prefix, reports JOURNAL_CORRUPT, writes on', async () => {
    const path = join(dir, 'db.sqlite');
    const a = await open(path, 'a');
    a.recordLocalChanges([insert('kept', 'x')], 1);
    await a.whenDurable();
    a.recordLocalChanges([insert('torn', 'y')], 2);
    await a.whenDurable();
    await a.close();
    const size = (await readFile(`${path}.journal`)).length;
    await truncate(`${path}.journal`, size - 3);
    const b = await open(path, 'b');
    expect(b.errors.map((e) => e.code)).toEqual([ErrorCodes.JOURNAL_CORRUPT]);
    expect(todos(b).map((r) => r['id'])).toEqual(['kept']);
    b.recordLocalChanges([insert('next', 'z')], 3);
    await b.close();
    const c = await open(path, 'c');
    expect(c.errors).toEqual([]);
    expect(todos(c).map((r) => r['id'])).toEqual(['kept', 'next']);
    await c.close();
  });
});
