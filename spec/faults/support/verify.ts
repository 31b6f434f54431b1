/**
 * The invariants after healing, checked against the server's file and every client's view:
 * - every write a client reported recorded is in its `local_changes` once, in order, and its
 *   change_id is in the server's log exactly once (`lost`, `duplicated`);
 * - the server's log holds nothing no client wrote (`duplicated`);
 * - every replica equals the server's current state (`divergent`);
 * - no change failed (nothing here is invalid, so the server rejects nothing) (`failed`);
 * - no client's LSN ever went backwards, every write recorded (`other`).
 * After a recreated server database (`server_changed`, support/recreation.ts) the same hold
 * against the NEW server, but for the changes the old server had acknowledged: those are gone
 * with it (checked there), and a client's LSN may step back once, to the new log.
 */
import { eventually } from '../../support/wait.js';
import { checkRecreation, expectedAfter, type Recreation, type RecreationFigures } from './recreation.js';
import type { ServerHandle } from './server-handle.js';
import type { TrackedClient } from './tracked-client.js';

/** What the invariants found (empty lists: all good). */
export interface Verdict {
  /** Writes reported recorded. */
  changes: number;
  lost: string[];
  duplicated: string[];
  divergent: string[];
  failed: string[];
  other: string[];
  /** After a recreation: changes gone with the old server (allowed) and pending ones re-sent. */
  recreation?: RecreationFigures;
}

interface LocalRow {
  seq: number;
  change_id: string;
  lsn: number | null;
  attempts: number;
  processed_sync: number;
  op: string;
  entity: string;
  entity_id: string;
  status: string;
  last_error: string | null;
}

/**
 * Wait (bounded) until every client is synced at the server's LSN with nothing pending. The
 * status snapshot lags a write's promise by up to one turn, so the store is asked as well.
 */
export async function settle(server: ServerHandle, clients: readonly TrackedClient[], ms = 20_000): Promise<void> {
  const pending = async (c: TrackedClient) => (await c.client.query<{ n: number }>(`SELECT count(*) AS n FROM local_changes WHERE status = 'pending'`))[0]!.n;
  const settled = () => clients.every((c) => c.settledAt(server.lsn()));
  await eventually(
    async () => settled() && (await Promise.all(clients.map(pending))).every((n) => n === 0) && settled(),
    `${clients.length} clients synced at the server's lsn with nothing pending`,
    ms,
    10,
  );
}

/** Check every invariant; resolves to the findings. */
export async function verify(server: ServerHandle, clients: readonly TrackedClient[], rec: Recreation | null = null): Promise<Verdict> {
  const state = server.state();
  const verdict: Verdict = { changes: 0, lost: [], duplicated: [], divergent: [], failed: [], other: [] };
  const figures: RecreationFigures = { gone: 0, revived: 0, resent: 0 };
  if (rec) verdict.recreation = figures;
  const logged = new Map<string, number>();
  for (const e of state.log) logged.set(e.change_id, (logged.get(e.change_id) ?? 0) + 1);
  const written = new Set<string>();
  for (const c of clients) {
    verdict.changes += c.reported.length;
    verdict.other.push(...c.lsnBackwards, ...c.writeFailures);
    const rows = await c.client.query<LocalRow>(`SELECT seq, change_id, op, entity, entity_id, status, lsn, attempts, processed_sync, last_error FROM local_changes WHERE origin = 'local' ORDER BY seq`);
    const key = (op: string, table: string, id: string) => `${op} ${table}/${id}`;
    // The reset after a recreation dropped what the old server had acknowledged.
    const expected = expectedAfter(rec, c, c.reported.map((r) => key(r.op, r.table, r.id)));
    // The app awaited each write in turn: local rows are the reported writes, in the same order.
    if (rows.length < expected.length) verdict.lost.push(`${c.name}: ${expected.length} reported (and kept), ${rows.length} local rows`);
    if (rows.length > expected.length) verdict.duplicated.push(`${c.name}: ${expected.length} reported (and kept), ${rows.length} local rows`);
    if (c.retried === 0 && !rec?.clients.has(c.name)) {
      c.reported.forEach((r, i) => {
        const row = rows[i];
        if (row && (row.op !== r.op || row.entity !== r.table || row.entity_id !== r.id)) {
          verdict.lost.push(`${c.name}: write ${i} ${r.op} ${r.table}/${r.id} recorded as ${row.op} ${row.entity}/${row.entity_id}`);
        }
      });
    } else {
      // A retried change moved to the end of the queue: the same writes, not the same order.
      const want = [...expected].sort();
      const got = rows.map((r) => key(r.op, r.entity, r.entity_id)).sort();
      if (JSON.stringify(want) !== JSON.stringify(got)) verdict.lost.push(`${c.name}: reported ${JSON.stringify(want)}, recorded ${JSON.stringify(got)}`);
    }
    for (const row of rows) {
      written.add(row.change_id);
      const n = logged.get(row.change_id) ?? 0;
      if (row.status === 'failed') verdict.failed.push(`${c.name}: ${row.change_id} ${row.op} ${row.entity}/${row.entity_id}: ${row.last_error ?? ''}`);
      else if (n === 0) verdict.lost.push(`${c.name}: not on the server: ${JSON.stringify(row)}`);
      if (n > 1) verdict.duplicated.push(`${c.name}: ${row.change_id} ${n} times on the server`);
    }
    if (rec) await checkRecreation(rec, server, c, new Set(rows.map((r) => r.change_id)), logged, verdict, figures);
    const todos = await c.client.query('SELECT * FROM todos ORDER BY id');
    const notes = await c.client.query('SELECT * FROM notes ORDER BY id');
    if (JSON.stringify(todos) !== JSON.stringify(state.todos) || JSON.stringify(notes) !== JSON.stringify(state.notes)) {
      verdict.divergent.push(`${c.name}: todos ${JSON.stringify(diff(todos, state.todos))} notes ${JSON.stringify(diff(notes, state.notes))}`);
    }
  }
  for (const e of state.log) if (!written.has(e.change_id)) verdict.duplicated.push(`server log lsn ${e.lsn} ${e.change_id}: written by no client`);
  return verdict;
}

/** Rows only on one side, for a readable report. */
function diff(local: Record<string, unknown>[], server: Record<string, unknown>[]): { local: unknown[]; server: unknown[] } {
  const a = new Set(local.map((r) => JSON.stringify(r)));
  const b = new Set(server.map((r) => JSON.stringify(r)));
  return { local: [...a].filter((r) => !b.has(r)), server: [...b].filter((r) => !a.has(r)) };
}

/** True when the verdict found nothing wrong. */
export function clean(v: Verdict): boolean {
  return v.lost.length + v.duplicated.length + v.divergent.length + v.failed.length + v.other.length === 0;
}
