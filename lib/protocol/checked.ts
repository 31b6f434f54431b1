/**
 * Check each change once: the decoder checks a server frame's changes against the schema at the
 * boundary and remembers the ones that fit (by object identity, per schema); the store, which
 * checks every change again before it writes, skips those. Changes are never mutated after
 * decoding (a projection makes a new object, which is checked and remembered itself).
 */
import type { SchemaError } from '../errors.js';
import { checkChange, type ChangeShape, type SchemaDeclaration } from './schema.js';

const fits = new WeakMap<SchemaDeclaration, WeakSet<object>>();

/** Remember that `change` passed {@link checkChange} against `schema`. */
export function rememberFit(schema: SchemaDeclaration, change: ChangeShape): void {
  let set = fits.get(schema);
  if (set === undefined) fits.set(schema, (set = new WeakSet()));
  set.add(change);
}

/** {@link checkChange}, skipped for a change already found to fit this schema. */
export function checkChangeOnce(schema: SchemaDeclaration, change: ChangeShape): SchemaError | null {
  if (fits.get(schema)?.has(change)) return null;
  return checkChange(schema, change);
}
