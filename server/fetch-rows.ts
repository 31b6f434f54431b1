/**
 * `fetch_rows { entity, ids }` -> `rows { entity, lsn, rows }`: the current version of some rows,
 * read with the log's LSN in the same synchronous step (nothing commits in between), so the
 * client knows which changes of the log come after it. A client asks for rows it could not
 * apply (quarantined server changes) or whose local change the app discarded. Each row passes
 * the `rejectedRow` hook (access control may hide it), as the row of a rejection does.
 */
import type { FetchRows, Row } from '../lib/protocol/index.js';
import type { Identity } from './handshake.js';
import type { HubSettings } from './hub.js';

/** The `rows` frame answering `frame`, as JSON text. Tables the server does not serve answer no row (null). */
export function fetchRowsFrame(settings: Pick<HubSettings, 'store' | 'rejectedRow'>, who: Identity, frame: FetchRows): string {
  const { store, rejectedRow } = settings;
  const lsn = store.lsn();
  const rows = frame.ids.map((id) => {
    const current: Row | null = store.currentRow(frame.entity, id);
    const row = rejectedRow({ change_id: 'fetch_rows', entity: frame.entity, entity_id: id, op: 'update', data: null }, who, current);
    return { id, row };
  });
  return JSON.stringify({ type: 'rows', entity: frame.entity, lsn, rows });
}
