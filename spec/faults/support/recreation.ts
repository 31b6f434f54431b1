/**
 * The `server_changed` fault (issue 14): mid-schedule the server is stopped and started on a NEW
 * empty database (another server_id). What must hold afterwards, precisely:
 * - every change still pending or failed at a client when the old server stopped, and every
 *   change recorded after, ends on the NEW server exactly once and stays in its client's history
 *   (the plain invariants of verify.ts, against the new server);
 * - a change the OLD server had acknowledged is, depending on how the client met the new server:
 *   a) RE-SENT when the client reconnected while the new log was still behind its LSN: the server
 *      answers `client_ahead { lsn: L }` and the client makes its acknowledged changes above L
 *      pending again (lib/engine/resync.ts) before it sees the new server_id: those end on the new
 *      server exactly once and stay in its history;
 *   b) GONE with the old database otherwise (those at or below L, or all of them when the new log
 *      had already passed the client's LSN): `server_changed` resets the replica and drops them
 *      from the history, and they are not on the new server (never sent again);
 *   either way it must have been in the old server's log;
 * - every client that had followed the old server reports `server_changed` exactly once, with at
 *   least the changes it had pending counted as kept; its LSN may step back until it is synced on
 *   the new log (support/tracked-client.ts);
 * - every client ends on the new server's id and its replica equals the new server's rows.
 * "Acknowledged before it stopped" is read from each client's history while NO server runs (the
 * proxy's connections cut, each client seen disconnected), so no late ack can move the line.
 */
import { ErrorCodes } from '../../../lib/errors.js';
import { eventually } from '../../support/wait.js';
import type { ServerHandle } from './server-handle.js';
import type { TrackedClient } from './tracked-client.js';
import type { Verdict } from './verify.js';

/** One client's history while the server was down. */
export interface ClientAtRecreation {
  /** It had a server id (it had followed the old server): it must see `server_changed`. */
  followed: boolean;
  /** Its changes the old server had acknowledged: change_id -> `op table/id` and the old LSN. */
  acked: Map<string, { what: string; lsn: number }>;
  /** How many errors it had reported by then (what it reports after is about the new server). */
  errorsBefore: number;
  /** Its changes still pending or failed: they must reach the new server. */
  unacked: Set<string>;
  /** How many of them were pending (not failed): the reset must keep at least these. */
  pending: number;
}

/** What a recreation left to check. */
export interface Recreation {
  oldServerId: string;
  /** change_ids in the old server's log when it stopped. */
  oldLog: Set<string>;
  clients: Map<string, ClientAtRecreation>;
}

/** Figures of a recreation, for the spec's counts. */
export interface RecreationFigures {
  /** Changes acknowledged by the old server and gone with it (b above). */
  gone: number;
  /** Changes acknowledged by the old server, sent again after `client_ahead` (a above). */
  revived: number;
  /** Changes pending at the recreation, sent again and on the new server. */
  resent: number;
}

interface HistoryRow {
  change_id: string;
  lsn: number | null;
  status: string;
  op: string;
  entity: string;
  entity_id: string;
}

/** Recreate the server's database while the clients run; resolves to what to check after. */
export async function recreateServer(server: ServerHandle, clients: readonly TrackedClient[]): Promise<Recreation> {
  const seen = new Map<string, ClientAtRecreation>();
  // A recreation matters to clients that follow the old log: wait (bounded) until they all have
  // once; a client that never did is checked as such (`followed` false).
  await eventually(() => clients.every((c) => c.wasSynced), 'every client synced once with the old server', 5_000, 10).catch(() => undefined);
  server.proxy.cutAll();
  const old = await server.recreate(async () => {
    // Bytes the proxy still held (a delay, a stall) die with the connections; clients that
    // reconnected before the server closed are cut again.
    server.proxy.cutAll();
    await eventually(() => clients.every((c) => c.status !== null && (c.status.connection === 'connecting' || c.status.connection === 'disconnected')), 'every client disconnected from the old server', 10_000, 10);
    for (const c of clients) {
      const rows = await c.client.query<HistoryRow>(`SELECT change_id, lsn, status, op, entity, entity_id FROM local_changes WHERE origin = 'local'`);
      const id = await c.client.query<{ value: unknown }>(`SELECT value FROM sync_state WHERE key = 'server_id'`);
      const at: ClientAtRecreation = { followed: id[0]?.value !== undefined && id[0].value !== null, acked: new Map(), errorsBefore: c.errors.length, unacked: new Set(), pending: 0 };
      for (const r of rows) {
        if (r.status === 'synced') at.acked.set(r.change_id, { what: `${r.op} ${r.entity}/${r.entity_id}`, lsn: r.lsn ?? 0 });
        else at.unacked.add(r.change_id);
        if (r.status === 'pending') at.pending++;
      }
      seen.set(c.name, at);
      if (at.followed) c.expectReset();
    }
  });
  return { oldServerId: old.serverId, oldLog: new Set(old.log.map((e) => e.change_id)), clients: seen };
}

/**
 * The changes the old server acknowledged to `c` that were sent again (a): those above the lowest
 * `client_ahead` LSN the client followed before it saw the new server_id.
 */
function revivedOf(at: ClientAtRecreation, c: TrackedClient): Set<string> {
  const after = c.errors.slice(at.errorsBefore);
  const changed = after.findIndex((e) => e.code === ErrorCodes.SERVER_CHANGED);
  const resyncs = after.slice(0, changed < 0 ? after.length : changed).filter((e) => e.code === ErrorCodes.CLIENT_AHEAD && e.message.includes('following the server from'));
  if (resyncs.length === 0) return new Set();
  const from = Math.min(...resyncs.map((e) => e.lsn ?? Infinity));
  return new Set([...at.acked].filter(([, a]) => a.lsn > from).map(([id]) => id));
}

/**
 * The writes a client reported that it must still hold in its history after the recreation: all
 * of them but those acknowledged by the old server and gone with it (`op table/id` keys, a multiset).
 */
export function expectedAfter(rec: Recreation | null, c: TrackedClient, reported: readonly string[]): string[] {
  const at = rec?.clients.get(c.name);
  if (!at) return [...reported];
  const revived = revivedOf(at, c);
  const left = [...reported];
  for (const [id, a] of at.acked) {
    if (revived.has(id)) continue;
    const i = left.indexOf(a.what);
    if (i >= 0) left.splice(i, 1);
  }
  return left;
}

/** Check what the recreation promised for client `c` (see the header); adds findings to `v`. */
export async function checkRecreation(
  rec: Recreation,
  server: ServerHandle,
  c: TrackedClient,
  history: ReadonlySet<string>,
  logged: ReadonlyMap<string, number>,
  v: Verdict,
  figures: RecreationFigures,
): Promise<void> {
  const at = rec.clients.get(c.name);
  if (!at) return;
  const revived = revivedOf(at, c);
  for (const [id, { what }] of at.acked) {
    if (!rec.oldLog.has(id)) v.other.push(`${c.name}: ${id} (${what}) acknowledged, yet not in the old server's log`);
    if (revived.has(id)) {
      // In the history: the plain checks (verify.ts) find it on the new server exactly once.
      if (history.has(id)) figures.revived++;
      else v.lost.push(`${c.name}: ${id} (${what}) acknowledged by the old server, made pending again by client_ahead, then dropped`);
    } else if ((logged.get(id) ?? 0) > 0) v.duplicated.push(`${c.name}: ${id} (${what}) acknowledged by the old server and reset away, yet sent to the new one`);
    else if (history.has(id)) v.other.push(`${c.name}: ${id} (${what}) acknowledged by the old server, still in the history after the reset`);
    else figures.gone++;
  }
  for (const id of at.unacked) {
    if (!history.has(id)) v.lost.push(`${c.name}: ${id} pending when the server was recreated, not kept`);
    else if ((logged.get(id) ?? 0) === 1) figures.resent++;
  }
  const seen = c.serverChanged.length;
  if (seen !== (at.followed ? 1 : 0)) v.other.push(`${c.name}: ${seen} server_changed errors for 1 recreation (it had ${at.followed ? '' : 'not '}followed the old server)`);
  const kept = Number(/(\d+) pending change\(s\) kept/.exec(c.serverChanged[0]?.message ?? '')?.[1] ?? NaN);
  // Changes recorded while the server was down (and revived ones) are pending too: at least, not exactly.
  if (at.followed && !(kept >= at.pending)) v.other.push(`${c.name}: server_changed said ${kept} pending change(s) kept, ${at.pending} were pending`);
  const id = await c.client.query<{ value: unknown }>(`SELECT value FROM sync_state WHERE key = 'server_id'`);
  const now = server.state().serverId;
  if (id[0]?.value !== now) v.divergent.push(`${c.name}: follows server ${String(id[0]?.value)}, the server is ${now} (was ${rec.oldServerId})`);
}
