/**
 * Commits this node did not make (another node on the same PostgreSQL, a write straight into the
 * tables), relayed under access rules. The row before such a change is not known here, so these
 * changes are not sent as committed: like a catch-up page (pages.ts), each row they touched goes
 * out ONCE, at the LSN of its last change in the batch, as an `insert` of the row as it is now to
 * every connection that may read it now, or as a `delete` to every connection that could read it
 * as this node last told its connections (the mirror's row before the batch) and may not now.
 * So a row that moved into a user's scopes arrives whole, one that moved out is removed, and no
 * connection gets a value from a moment the row was out of its scopes. Ids are server-made
 * (views.ts), as in catch-up.
 */
import type { Row, ServerChange } from '../../lib/protocol/index.js';
import { intersects } from './scope-index.js';
import { maskedIds, type LiveView } from './views.js';
import type { RowScopesOf } from './writes.js';

/** One row touched by a relayed batch: its row before (as last told) and now. */
export interface TouchedRow {
  readonly entity: string;
  readonly entityId: string;
  readonly before: Row | null;
  readonly now: Row | null;
}

/** The view of one row touched by a relayed batch. */
export class CurrentRowView implements LiveView {
  readonly touched: readonly string[];
  private readonly beforeScopes: readonly string[];
  private readonly nowScopes: readonly string[];
  private insertJson: string | null = null;
  private deleteJson: string | null = null;

  constructor(
    readonly lsn: number,
    private readonly row: TouchedRow,
    scopesOf: RowScopesOf,
  ) {
    this.beforeScopes = row.before === null ? [] : scopesOf(row.entity, row.before);
    this.nowScopes = row.now === null ? [] : scopesOf(row.entity, row.now);
    this.touched = [...this.beforeScopes, ...this.nowScopes];
  }

  jsonFor(scopes: ReadonlySet<string>): string | null {
    const { entity, entityId, now } = this.row;
    if (now !== null && intersects(this.nowScopes, scopes)) {
      return (this.insertJson ??= JSON.stringify({ lsn: this.lsn, ...maskedIds(this.lsn), entity, entity_id: entityId, op: 'insert', data: now } satisfies ServerChange));
    }
    if (!intersects(this.beforeScopes, scopes)) return null;
    return (this.deleteJson ??= JSON.stringify({ lsn: this.lsn, ...maskedIds(this.lsn), entity, entity_id: entityId, op: 'delete', data: null } satisfies ServerChange));
  }
}

/** The key of a row. */
export function rowKey(entity: string, entityId: string): string {
  return `${entity}\u0000${entityId}`;
}

/**
 * The views of a relayed batch (one per row, in the order of each row's last change) and the
 * scopes to record per LSN for catch-up (scope-log.ts): a superset of the scopes each change
 * touched (the row before the batch, now, and the row each change wrote as far as the log tells),
 * so a catch-up never skips a change a connection could have seen.
 */
export function foreignViews(committed: readonly ServerChange[], rows: ReadonlyMap<string, TouchedRow>, scopesOf: RowScopesOf): { views: CurrentRowView[]; record: (readonly [number, string[]])[] } {
  const lastLsn = new Map<string, number>();
  const record: (readonly [number, string[]])[] = [];
  const written = new Map<string, Row | null>();
  for (const c of committed) {
    const key = rowKey(c.entity, c.entity_id);
    const row = rows.get(key)!;
    const prev = written.has(key) ? written.get(key)! : row.before;
    const wrote = c.op === 'delete' ? null : c.op === 'insert' || prev === null ? (c.data ?? {}) : { ...prev, ...c.data };
    written.set(key, wrote);
    const scopes = new Set([...(row.before ? scopesOf(c.entity, row.before) : []), ...(row.now ? scopesOf(c.entity, row.now) : []), ...guessed(scopesOf, c.entity, prev), ...guessed(scopesOf, c.entity, wrote)]);
    record.push([c.lsn, [...scopes]]);
    lastLsn.delete(key);
    lastLsn.set(key, c.lsn);
  }
  const views: CurrentRowView[] = [];
  for (const [key, lsn] of lastLsn) views.push(new CurrentRowView(lsn, rows.get(key)!, scopesOf));
  return { views, record };
}

/** Scopes of a row rebuilt from the log (it may lack columns): a rule that throws on it adds none. */
function guessed(scopesOf: RowScopesOf, entity: string, row: Row | null): readonly string[] {
  if (row === null) return [];
  try {
    return scopesOf(entity, row);
  } catch {
    return [];
  }
}
