/**
 * Check each change once: the decoder checks a server frame's changes against the schema at the
 * boundary and, when every one of them fits, remembers the frame's list of changes (by object
 * identity, per schema: one entry per frame, not per change); the store, which checks every
 * change again before it writes, skips a remembered list. Lists and changes are never mutated
 * after decoding (a projection or a trimmed batch makes a new list, which is checked again).
 */
import type { SchemaError } from '../errors.js';
import { checkChange, type ChangeShape, type SchemaDeclaration } from './schema.js';

const fits = new WeakMap<SchemaDeclaration, WeakSet<object>>();

/** Remember that every change of `changes` passed {@link checkChange} against `schema`. */
export function rememberFit(schema: SchemaDeclaration, changes: readonly ChangeShape[]): void {
  let set = fits.get(schema);
  if (set === undefined) fits.set(schema, (set = new WeakSet()));
  set.add(changes);
}

/** The first change of `changes` that does not fit `schema` (its error), or null; skipped for a remembered list. */
export function checkChangesOnce(schema: SchemaDeclaration, changes: readonly ChangeShape[]): SchemaError | null {
  if (fits.get(schema)?.has(changes)) return null;
  for (const c of changes) {
    const err = checkChange(schema, c);
    if (err) return err;
  }
  return null;
}
