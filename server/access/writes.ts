/**
 * Writes under access rules: the permission check with the current row, and what a rejection
 * may show. Built-in rule, before the app's `permit`: a change to a row the user may not read is
 * refused with the same reason as if it were anybody's (nothing of it is revealed), and the row
 * after the change must be in one of the user's scopes (a write cannot move a row into a scope
 * the user does not hold, nor make a row nobody reads).
 */
import type { ClientChange, Row } from '../../lib/protocol/index.js';
import type { PermitFn } from '../store.js';
import { intersects } from './scope-index.js';
import type { AccessRules, AccessUser, ReadAccess } from './types.js';

/** The reason given for a change to a row the user may not read (names nothing of the row). */
export const NOT_READABLE = 'no such row among the rows you may read';
/** The reason given when the row after a change would be in none of the user's scopes. */
export const NOT_YOURS_AFTER = 'the row would be in none of your scopes';

/** The scopes of a row of `table` (a table without a rule: none). */
export type RowScopesOf = (table: string, row: Row) => readonly string[];

/** Per client_change frame: the permission check, and each change's row before it (by change_id). */
export interface WriteCapture {
  readonly permit: PermitFn;
  /** The row as it was right before each change that reached the permission check. */
  readonly before: Map<string, Row | null>;
}

/** A capture for one frame of a connection of `user` holding `scopes`. */
export function writeCapture(rules: AccessRules, user: AccessUser, scopes: ReadonlySet<string>, scopesOf: RowScopesOf, read: ReadAccess): WriteCapture {
  const before = new Map<string, Row | null>();
  const permit: PermitFn = (change: ClientChange, _who, current) => {
    before.set(change.change_id, current);
    if (current !== null && !intersects(scopesOf(change.entity, current), scopes)) return NOT_READABLE;
    if (change.op !== 'delete') {
      const after = change.op === 'insert' || current === null ? (change.data ?? {}) : { ...current, ...change.data };
      if (!intersects(scopesOf(change.entity, after), scopes)) return NOT_YOURS_AFTER;
    }
    return rules.permit ? rules.permit(change, user, current, read) : null;
  };
  return { permit, before };
}

/** What a rejected ack shows of the current row: the row only if the user may read it. */
export function visibleRow(table: string, row: Row | null, scopes: ReadonlySet<string>, scopesOf: RowScopesOf): Row | null {
  return row !== null && intersects(scopesOf(table, row), scopes) ? row : null;
}
