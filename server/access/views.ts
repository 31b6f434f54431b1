/**
 * What one connection may see of one committed change. A change reaches a connection when the
 * row's scopes before OR after it meet the connection's scopes:
 * - in before and after: the change as committed;
 * - only after (the row moved in): an `insert` of the whole row as it is after the change;
 * - only before (the row moved out, or the connection lost it): a `delete`.
 * "After" is the row as this node read it after the commit (the state its connections are then
 * told of). On PostgreSQL that read can already include a later commit of another node or a
 * direct write (relayed next): the change as committed then goes only to a connection that could
 * also read the row right after THIS change (`exact`); any other reader of the row as read gets an
 * `insert` of it, so no connection learns a value the row had while it was out of its scopes.
 * Another client's change goes out with a server-made id (`~<lsn>` from client `~server`), so no
 * client learns another's client id or change ids; the writer's own connection gets the real ids
 * (its echo). Each variant is serialised once per change, shared by every connection.
 */
import type { Row, ServerChange } from '../../lib/protocol/index.js';
import { intersects } from './scope-index.js';

/** The client id that server-made change ids come from. */
export const MASKED_CLIENT_ID = '~server';

/** A committed change with the row's scopes before and after it. */
export interface ScopedChange {
  readonly change: ServerChange;
  /** Scopes of the row before the change (none: no row, or unknown). */
  readonly before: readonly string[];
  /** Scopes of the row after the change (none: deleted). */
  readonly after: readonly string[];
  /** The whole row after the change (null: deleted). */
  readonly afterRow: Row | null;
  /** Scopes of the row right after this change when they may differ from `after` (absent: `after`). */
  readonly exact?: readonly string[];
}

/** What the fan-out needs of one change's views (views.ts, foreign.ts). */
export interface LiveView {
  /** LSN the view goes out with. */
  readonly lsn: number;
  /** Every scope a connection that gets something holds one of. */
  readonly touched: readonly string[];
  /** The view for a connection with `scopes` and client id `clientId`, serialised; null = it sees nothing. */
  jsonFor(scopes: ReadonlySet<string>, clientId: string | null): string | null;
}

type Variant = 'same' | 'insert' | 'delete';

/** Serialised views of one change, made on first use. */
export class ChangeViews implements LiveView {
  private readonly cache = new Map<string, string>();
  readonly lsn: number;
  readonly touched: readonly string[];

  constructor(readonly scoped: ScopedChange) {
    this.lsn = scoped.change.lsn;
    this.touched = [...scoped.before, ...scoped.after];
  }

  jsonFor(scopes: ReadonlySet<string>, clientId: string | null): string | null {
    const inBefore = intersects(this.scoped.before, scopes);
    const inAfter = intersects(this.scoped.after, scopes);
    if (!inBefore && !inAfter) return null;
    const same = inBefore && inAfter && (this.scoped.exact === undefined || intersects(this.scoped.exact, scopes));
    const variant: Variant = same ? 'same' : inAfter ? 'insert' : 'delete';
    const own = clientId !== null && clientId === this.scoped.change.client_id;
    const key = `${variant}${own ? '!' : ''}`;
    let json = this.cache.get(key);
    if (json === undefined) {
      json = JSON.stringify(view(this.scoped, variant, own));
      this.cache.set(key, json);
    }
    return json;
  }
}

function view(s: ScopedChange, variant: Variant, own: boolean): ServerChange {
  const c = s.change;
  const ids = own ? { change_id: c.change_id, client_id: c.client_id } : maskedIds(c.lsn);
  if (variant === 'same') return { ...c, ...ids };
  if (variant === 'insert') return { lsn: c.lsn, ...ids, entity: c.entity, entity_id: c.entity_id, op: 'insert', data: s.afterRow };
  return { lsn: c.lsn, ...ids, entity: c.entity, entity_id: c.entity_id, op: 'delete', data: null };
}

/** The ids a change of LSN `lsn` carries to other clients. */
export function maskedIds(lsn: number): { change_id: string; client_id: string } {
  return { change_id: `~${lsn}`, client_id: MASKED_CLIENT_ID };
}
