/**
 * The catch_up baseline (in a bench worker): what a minimal hand-written client does with the
 * same server and the same pages: a bare WebSocket, hello, then `sync_request` page after page,
 * each page JSON.parsed and upserted with a prepared statement in one transaction. No
 * validation, no local_changes, no journal, no engine.
 */
import { parseSchema, quoteIdent } from '../../lib/protocol/index.js';
import { loadSqlJs } from '../../lib/store/index.js';
import { ensureEntityTables } from '../../lib/store/ddl.js';
import { BENCH_SCHEMA, type BenchRow } from '../shared/data.js';
import type { ApplyRun } from './worker-engine.js';

const COLS = Object.keys(BENCH_SCHEMA.items.columns);

/** Download and apply (fromLsn, server lsn] from `url`. */
export async function rawCatchUp(url: string, fromLsn: number): Promise<ApplyRun> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  db.run('PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE');
  ensureEntityTables(db, parseSchema(BENCH_SCHEMA));
  const upsert = db.prepare(
    `INSERT INTO items (${COLS.map(quoteIdent).join(', ')}) VALUES (${COLS.map(() => '?').join(', ')}) ` +
      `ON CONFLICT (id) DO UPDATE SET ${COLS.filter((c) => c !== 'id').map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`).join(', ')}`,
  );
  const t0 = performance.now();
  let changes = 0;
  await new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.onerror = () => reject(new Error('raw catch-up socket failed'));
    ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', protocol: 1, client_id: `bench-raw-${Math.floor(t0)}`, last_lsn: fromLsn }));
    ws.onmessage = (e: MessageEvent<string>) => {
      const frame = JSON.parse(e.data) as { type: string; lsn: number; complete: boolean; cursor?: number; changes: { data: BenchRow }[] };
      if (frame.type === 'welcome') {
        ws.send(JSON.stringify({ type: 'sync_request', from_lsn: fromLsn }));
      } else if (frame.type === 'sync_response') {
        db.run('BEGIN');
        for (const c of frame.changes) upsert.run([c.data.id, c.data.title, c.data.body, c.data.owner, c.data.qty, c.data.price]);
        db.run('COMMIT');
        changes += frame.changes.length;
        if (frame.complete) {
          ws.close();
          resolve();
        } else {
          // A snapshot page (from LSN 0) names the cursor to go on from.
          ws.send(JSON.stringify(frame.cursor === undefined ? { type: 'sync_request', from_lsn: frame.lsn } : { type: 'sync_request', from_lsn: frame.lsn, cursor: frame.cursor }));
        }
      }
    };
  });
  const ms = performance.now() - t0;
  upsert.free();
  db.close();
  return { changes, ms };
}
