/**
 * The notes app of the access specs: private notes (`notes.owner`), team lists and items
 * (`lists.team`, `items.team`) and a `members` table; only admins (a token claim) change members.
 */
import type { AccessRules } from '../../../server/index.js';
import { TestClient } from '../helpers.js';

export const NOTES_SCHEMA = {
  notes: { primaryKey: 'id', columns: { id: 'TEXT', owner: 'TEXT', text: 'TEXT' } },
  lists: { primaryKey: 'id', columns: { id: 'TEXT', team: 'TEXT', name: 'TEXT' } },
  items: { primaryKey: 'id', columns: { id: 'TEXT', list: 'TEXT', team: 'TEXT', text: 'TEXT' } },
  members: { primaryKey: 'id', columns: { id: 'TEXT', user: 'TEXT', team: 'TEXT' } },
} as const;

export const SECRET = 'access-spec-secret-0123456789';

/** The rules; `permitCalls` records what `permit` was given. */
export function notesAccess(permitCalls: { entity: string; current: unknown; sub: string }[] = []): AccessRules {
  return {
    scopes: (user, read) => [
      'user:' + user.sub,
      ...(user.claims['admin'] === true ? ['admin'] : []),
      ...read.where('members', 'user', user.sub).map((m) => 'team:' + String(m['team'])),
    ],
    rowScopes: {
      notes: (row) => ['user:' + String(row['owner'])],
      lists: (row) => ['team:' + String(row['team'])],
      items: (row) => ['team:' + String(row['team'])],
      members: (row) => ['admin', 'team:' + String(row['team']), 'user:' + String(row['user'])],
    },
    permit: (change, user, current) => {
      permitCalls.push({ entity: change.entity, current, sub: user.sub });
      if (change.entity === 'members' && user.claims['admin'] !== true) return 'only admins change members';
      if (change.entity === 'notes' && change.op !== 'delete' && change.data && 'owner' in change.data && change.data['owner'] !== user.sub) return 'notes belong to their writer';
      return null;
    },
  };
}

/** Which scopes a user holds, from the server's tables (independent of the server's code). */
export function userScopes(sub: string, members: readonly Record<string, unknown>[], admin = false): Set<string> {
  return new Set(['user:' + sub, ...(admin ? ['admin'] : []), ...members.filter((m) => m['user'] === sub).map((m) => 'team:' + String(m['team']))]);
}

/** Does a row (of a table) belong to a user holding `scopes`? Written again here, on purpose. */
export function mayRead(table: string, row: Record<string, unknown>, scopes: ReadonlySet<string>): boolean {
  switch (table) {
    case 'notes':
      return scopes.has('user:' + String(row['owner']));
    case 'lists':
    case 'items':
      return scopes.has('team:' + String(row['team']));
    case 'members':
      return scopes.has('admin') || scopes.has('team:' + String(row['team'])) || scopes.has('user:' + String(row['user']));
    default:
      return false;
  }
}

/** Handshake with a server that has access rules: the welcome, then the scope patch naming the scopes (a replica with none recorded gets one). */
export async function handshakeScoped(url: string, clientId: string, extra: { last_lsn?: number; token?: string }) {
  const { c, welcome } = await TestClient.handshake(url, clientId, extra);
  const patch = await c.next('scope_patch');
  return { c, welcome, patch };
}
