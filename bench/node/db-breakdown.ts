/**
 * Where a row's bytes go in the client's database (memory.* metrics). sql.js keeps the database
 * FILE in emscripten's in-memory file system, a JavaScript typed array: that file is most of the
 * sync worker's JS heap. sql.js has no `dbstat` table, so this runs the same writes through the
 * real client in Node (in-process host, file storage), folds the journal into one image and reads
 * SQLite's `dbstat` of it with better-sqlite3: bytes per row of each table and index.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createSyncClient, type SyncClient } from '../../lib/index.js';
import { filePersistence } from '../../lib/node/file-persistence.js';
import { openStore } from '../../lib/store/open.js';
import { BENCH_SCHEMA, ROW_DATA_SQL, makeRow, mulberry32 } from '../shared/data.js';

/** Bytes per row of one table or index (pages it holds, unused space included). */
export interface BreakdownPart {
  name: string;
  bytesPerRow: number;
}

/** The database after `rows` rows. */
export interface Breakdown {
  rows: number;
  fileBytes: number;
  /** JSON of the entity rows, per row. */
  dataBytesPerRow: number;
  parts: BreakdownPart[];
}

/** In words, for a metric's detail: file per row, then each part over 1% of it. */
export function describeBreakdown(b: Breakdown): string {
  const perRow = b.fileBytes / b.rows;
  const parts = b.parts.filter((p) => p.bytesPerRow >= perRow / 100).map((p) => `${p.name} ${Math.round(p.bytesPerRow)}`);
  return `database file ${Math.round(perRow)} B/row (${(perRow / b.dataBytesPerRow).toFixed(2)}x the row data's ${Math.round(b.dataBytesPerRow)} B of JSON): ${parts.join(', ')}`;
}

/** `n` local changes recorded offline in writes of 1000, as memoryPending does in the page. */
export function pendingBreakdown(n: number, seed: number): Promise<Breakdown> {
  return measure(async (c) => {
    const rnd = mulberry32(seed);
    for (let i = 0; i < n; i += 1000) {
      const ops = [];
      for (let j = i; j < Math.min(n, i + 1000); j++) ops.push({ op: 'insert' as const, table: 'items', row: makeRow(rnd, 'mem', j) });
      await c.write(ops);
    }
  });
}

/**
 * `n` changes caught up through the log from a server, as memoryHistory does: `seed` makes
 * changes on it and resolves with its LSN.
 */
export function historyBreakdown(url: string, n: number, seed: (n: number) => Promise<number>): Promise<Breakdown> {
  return measure(async (c) => {
    const first = await seed(1);
    await synced(c, first);
    c.disconnect();
    const lsn = await seed(n);
    c.connect();
    await synced(c, lsn);
  }, url);
}

function synced(c: SyncClient, lsn: number): Promise<void> {
  return new Promise((resolve) => {
    const sub = c.status$.subscribe((s) => {
      if (s.connection === 'synced' && s.lsn >= lsn) {
        queueMicrotask(() => sub.unsubscribe());
        resolve();
      }
    });
  });
}

async function measure(fill: (c: SyncClient) => Promise<void>, url?: string): Promise<Breakdown> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsw-mem-'));
  const file = path.join(dir, 'client.db');
  try {
    const c = createSyncClient({ ...(url !== undefined && { url }), schema: BENCH_SCHEMA, worker: false, storage: { file }, logLevel: 'silent' });
    await c.ready;
    await fill(c);
    await c.close();
    // Fold the journal into the snapshot: the file is then the whole database, as in the worker.
    const store = await openStore({ schema: BENCH_SCHEMA, persistence: filePersistence({ path: file, fsync: false }) });
    await store.snapshot();
    await store.close();
    const db = new Database(file, { readonly: true });
    try {
      const { rows, data } = db.prepare(ROW_DATA_SQL).get() as { rows: number; data: number };
      const parts = db.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC').all() as { name: string; bytes: number }[];
      return { rows, fileBytes: fs.statSync(file).size, dataBytesPerRow: data / rows, parts: parts.map((p) => ({ name: p.name, bytesPerRow: p.bytes / rows })) };
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
