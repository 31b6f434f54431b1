/**
 * `fetch_rows { entity, ids }` -> `rows { entity, lsn, rows }`: the current version of some rows
 * and the LSN read BEFORE them: each row holds at least every change up to `lsn` (maybe later
 * ones too, which the client then applies again on top: the same end state). A client whose LSN
 * is already past `lsn` when the answer arrives asks again. A client asks for rows it could not
 * apply (quarantined server changes) or whose local change the app discarded. Each row is shown
 * as the row of a rejection is: through the access rules when the server has them (a row the
 * caller may not read is `null`), else through the `rejectedRow` hook.
 */
import type { FetchRows, Row } from '../lib/protocol/index.js';
import type { AccessPeer } from './access/access-control.js';
import type { Identity } from './handshake.js';
import type { HubSettings } from './hub.js';

/** The `rows` frame answering `frame`, as JSON text. Tables the server does not serve answer no row (null). */
export async function fetchRowsFrame(settings: Pick<HubSettings, 'store' | 'rejectedRow' | 'access'>, who: Identity, frame: FetchRows, peer: AccessPeer): Promise<string> {
  const { store, rejectedRow, access } = settings;
  const lsn = store.lsn();
  const rows: { id: string; row: Row | null }[] = [];
  for (const id of frame.ids) {
    const current = await store.currentRow(frame.entity, id);
    const shown = access
      ? access.rejectedRow(peer, frame.entity, current)
      : rejectedRow({ change_id: 'fetch_rows', entity: frame.entity, entity_id: id, op: 'update', data: null }, who, current);
    rows.push({ id, row: shown });
  }
  return JSON.stringify({ type: 'rows', entity: frame.entity, lsn, rows });
}
