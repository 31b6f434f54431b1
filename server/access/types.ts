/**
 * The public contract of access rules (`startSyncServer({ access })`, CLI `--access ./access.js`):
 * which rows each connection may read, and which changes each user may make.
 *
 * ```ts
 * access: {
 *   scopes: (user, read) => ['user:' + user.sub, ...read.where('members', 'user', user.sub).map((m) => 'team:' + m.team)],
 *   rowScopes: { notes: (row) => ['user:' + row.owner], items: (row) => ['team:' + row.team] },
 *   permit: (change, user, current, read) => null,
 * }
 * ```
 * A connection reads a row when one of the row's scopes is one of the connection's scopes.
 */
import type { ClientChange, Row } from '../../lib/protocol/index.js';

/** Read-only view of the server's CURRENT state, handed to every rule. */
export interface ReadAccess {
  /** The current row of `table` with primary key `id`, or null. */
  get(table: string, id: string): Row | null;
  /** The current rows of `table` whose `column` equals `value`. */
  where(table: string, column: string, value: unknown): Row[];
}

/** Who a connection is: its verified token's subject and claims (open server: sub `''`, no claims). */
export interface AccessUser {
  sub: string;
  claims: Record<string, unknown>;
}

/** Access rules of a server. */
export interface AccessRules {
  /**
   * The scopes a connection may read, from its verified token and the current data. Evaluated at
   * hello and again after every commit that touched a table this function read (through `read`).
   */
  scopes(user: AccessUser, read: ReadAccess): string[] | Promise<string[]>;
  /**
   * The scopes a row belongs to (several, or none = nobody reads it). A table missing here is read
   * by nobody. Evaluated when the row changes: base it on the row's own columns.
   */
  rowScopes: { [table: string]: (row: Row, read: ReadAccess) => string[] };
  /**
   * May this user make this change? `current` is the row before it (null if none). null = yes, a
   * string = the reason it is refused. Runs after the built-in check (the user must be able to
   * read `current`, and the row after the change must be in one of the user's scopes).
   */
  permit?(change: ClientChange, user: AccessUser, current: Row | null, read: ReadAccess): string | null;
}
