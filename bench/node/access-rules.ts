/**
 * Access rules of the access benches (bench/node/access-bench.ts), loaded by the server thread.
 * - `scopes10`: each token names one scope (`s0`..`s9`) or `all`; an item's scope is a hash of
 *   its id; the marker row (`marker-*`) is in every scope (so every client sees the last change).
 * - `members`: a user's scopes are its teams in `members`; an item's team is its id prefix.
 */
import type { AccessRules } from '../../server/index.js';
import { BENCH_SCHEMA } from '../shared/data.js';

/** The bench schema plus the `members` table of the backfill bench. */
export const ACCESS_BENCH_SCHEMA = {
  ...BENCH_SCHEMA,
  members: { primaryKey: 'id', columns: { id: 'TEXT', user: 'TEXT', team: 'TEXT' } },
} as const;

/** The HS256 secret of the bench tokens. */
export const BENCH_SECRET = 'bench-access-secret-0123456789';

const TEN = Array.from({ length: 10 }, (_, i) => `s${i}`);

/** The scope of a bench row id among `s0`..`s9` (a cheap string hash). */
export function scopeOfId(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) | 0;
  return `s${Math.abs(h) % 10}`;
}

/** The rules by name. */
export const BENCH_RULES: Record<'scopes10' | 'members', AccessRules> = {
  scopes10: {
    scopes: (user) => (user.claims['scope'] === 'all' ? TEN : [String(user.claims['scope'])]),
    rowScopes: { items: (row) => (String(row['id']).startsWith('marker-') ? TEN : [scopeOfId(String(row['id']))]) },
  },
  members: {
    scopes: (user, read) => [
      'user:' + user.sub,
      ...(Array.isArray(user.claims['teams']) ? (user.claims['teams'] as string[]).map((t) => 'team:' + t) : []),
      ...read.where('members', 'user', user.sub).map((m) => 'team:' + String(m['team'])),
    ],
    rowScopes: {
      items: (row) => ['team:' + String(row['id']).split('-')[0]],
      members: (row) => ['team:' + String(row['team']), 'user:' + String(row['user'])],
    },
  },
};
