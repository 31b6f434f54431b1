/**
 * `fetch_rows { entity, ids }` -> `rows { entity, lsn, rows }`: the current version of some rows
 * and the LSN read BEFORE them: each row holds at least every change up to `lsn` (maybe later
 * ones too, which the client then applies again on top: the same end state). A client whose LSN
 * is already past `lsn` when the answer arrives asks again. A client asks for rows it could not
 * apply (quarantined server changes) or whose local change the app discarded. Each row passes
 * the `rejectedRow` hook (access control may hide it), as the row of a rejection does.
 */
import type { FetchRows, Row } from '../lib/protocol/index.js';
import type { Identity } from './handshake.js';
import type { HubSettings } from './hub.js';

/** The `rows` frame answering `frame`, as JSON text. Tables the server does not serve answer no row (null). */
export async function fetchRowsFrame(settings: Pick<HubSettings, 'store' | 'rejectedRow'>, who: Identity, frame: FetchRows): Promise<string> {
  const { store, rejectedRow } = settings;
  const lsn = store.lsn();
  const rows: { id: string; row: Row | null }[] = [];
  for (const id of frame.ids) {
    const current = await store.currentRow(frame.entity, id);
    rows.push({ id, row: rejectedRow({ change_id: 'fetch_rows', entity: frame.entity, entity_id: id, op: 'update', data: null }, who, current) });
  }
  return JSON.stringify({ type: 'rows', entity: frame.entity, lsn, rows });
}
