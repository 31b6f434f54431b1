/**
 * ReadAccess over the server's store: the current state, read-only. A recording variant tells
 * which tables a rule read, so a connection's scopes are evaluated again only after a commit
 * that touched one of them.
 */
import type { Row } from '../../lib/protocol/index.js';
import type { ReadAccess } from './types.js';

/** What ReadAccess needs of the store (LogStore has both). */
export interface RowSource {
  currentRow(entity: string, entityId: string): Row | null;
  rowsWhere(entity: string, column: string, value: unknown): Row[];
}

/** A ReadAccess reading `source`; `onRead(table)` is told of every table read. */
export function readAccess(source: RowSource, onRead?: (table: string) => void): ReadAccess {
  return Object.freeze({
    get(table: string, id: string): Row | null {
      onRead?.(String(table));
      return source.currentRow(String(table), String(id));
    },
    where(table: string, column: string, value: unknown): Row[] {
      onRead?.(String(table));
      return source.rowsWhere(String(table), String(column), value);
    },
  });
}
