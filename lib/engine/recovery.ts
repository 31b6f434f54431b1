/**
 * The downstream pipeline's recovery effects: asking the server for rows again (`fetch_rows`),
 * putting its answer (`rows`) in place, and following a server log of another identity
 * (`welcome.server_id`). Each returns the engine events it caused.
 */
import { ErrorCodes, SyncError } from '../errors.js';
import { MAX_FETCH_ROWS, type ClientFrame, type RowsFrame } from '../protocol/index.js';
import type { EngineEvent } from './events.js';
import type { EngineStore } from './ports.js';

/** What the recovery effects need. */
export interface RecoveryDeps {
  store: EngineStore;
  send: (frame: ClientFrame) => boolean;
  scheduler: { now(): number };
}

/** Send `fetch_rows` for these rows (grouped by table, at most MAX_FETCH_ROWS ids a frame). */
export function fetchRows(deps: Pick<RecoveryDeps, 'send'>, rows: readonly { entity: string; id: string }[]): void {
  const byEntity = new Map<string, string[]>();
  for (const r of rows) {
    const ids = byEntity.get(r.entity) ?? [];
    if (!ids.includes(r.id)) ids.push(r.id);
    byEntity.set(r.entity, ids);
  }
  for (const [entity, ids] of byEntity) {
    for (let i = 0; i < ids.length; i += MAX_FETCH_ROWS) deps.send({ type: 'fetch_rows', entity, ids: ids.slice(i, i + MAX_FETCH_ROWS) });
  }
}

/**
 * The server's answer to `fetch_rows`. Read at `frame.lsn`: if this client already applied more
 * (its LSN is above), the answer may be older than the local row and is asked for again; else the
 * rows go in place (later changes of the log are applied on top as they arrive).
 */
export function putFetchedRows(deps: RecoveryDeps, localLsn: number, frame: RowsFrame): EngineEvent[] {
  if (frame.rows.length === 0) return [];
  if (frame.lsn < localLsn) {
    fetchRows(deps, frame.rows.map((r) => ({ entity: frame.entity, id: r.id })));
    return [];
  }
  const errors = deps.store.applyFetchedRows(frame.entity, frame.rows, deps.scheduler.now(), frame.lsn);
  return [
    { type: 'rows_fetched', count: frame.rows.length },
    ...errors.map((error): EngineEvent => ({ type: 'error', error })),
    // Live queries on the table run again.
    { type: 'processed', message: { type: 'changes_processed', origin: 'server', change_ids: [], entities: [frame.entity], lsn: localLsn } },
  ];
}

/**
 * Check `welcome.server_id` against the stored one: the first one is stored; another one means a
 * different log (the server's database was created anew): the replica is reset, pending local
 * changes kept (they are sent again), and it is reported (`server_changed`).
 */
export function checkServerIdentity(deps: RecoveryDeps, serverId: string | undefined): EngineEvent[] {
  if (serverId === undefined) return [];
  const known = deps.store.serverId();
  if (known === serverId) return [];
  if (known === null) {
    deps.store.setServerId(serverId);
    return [];
  }
  const was = deps.store.getLsn();
  const kept = deps.store.resetForServer(serverId, deps.scheduler.now());
  const msg = `the server's log changed identity (${known} -> ${serverId}): local replica at LSN ${was} reset, resynchronising from scratch; ${kept} pending change(s) kept and sent again`;
  return [
    { type: 'server_changed', kept },
    { type: 'error', error: new SyncError(ErrorCodes.SERVER_CHANGED, msg, { lsn: was }) },
  ];
}
