/**
 * Checking access rules at start, and loading them from a module (the CLI's `--access ./access.js`).
 * A module exports the rules as its default export, as `access`, or as its own `scopes` /
 * `rowScopes` / `permit` exports.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { SchemaDeclaration } from '../../lib/protocol/index.js';
import type { AccessRules } from './types.js';

/** Check the shape of access rules against the schema; throws a TypeError naming the problem. */
export function checkAccessRules(rules: unknown, schema: SchemaDeclaration): AccessRules {
  const r = rules as Partial<AccessRules> | null;
  if (r === null || typeof r !== 'object') throw new TypeError('access: expected an object { scopes, rowScopes, permit? }');
  if (typeof r.scopes !== 'function') throw new TypeError('access.scopes must be a function (user, read) => string[]');
  if (r.rowScopes === null || typeof r.rowScopes !== 'object') throw new TypeError('access.rowScopes must be an object { [table]: (row, read) => string[] }');
  for (const [table, fn] of Object.entries(r.rowScopes)) {
    if (!Object.prototype.hasOwnProperty.call(schema, table)) throw new TypeError(`access.rowScopes.${table}: no such table in the schema`);
    if (typeof fn !== 'function') throw new TypeError(`access.rowScopes.${table} must be a function (row, read) => string[]`);
  }
  if (r.permit !== undefined && typeof r.permit !== 'function') throw new TypeError('access.permit must be a function (change, user, current, read) => string | null');
  return r as AccessRules;
}

/** Import access rules from a module file (path relative to the working directory). */
export async function loadAccessModule(file: string): Promise<AccessRules> {
  const mod = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  const candidate = (mod['default'] ?? mod['access'] ?? mod) as Record<string, unknown>;
  // A CommonJS module's exports arrive as `default`; an ES module may export the parts by name.
  if (typeof candidate['scopes'] === 'function') return candidate as unknown as AccessRules;
  if (typeof mod['scopes'] === 'function') return mod as unknown as AccessRules;
  throw new TypeError(`${file}: exports no access rules (export default { scopes, rowScopes, permit? })`);
}
