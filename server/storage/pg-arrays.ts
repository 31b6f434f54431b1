/**
 * Array parameters as PostgreSQL array literals (`{"a","b",NULL}`), written here instead of by
 * `pg`: the set-based statements (pg-batch.ts) pass every column of a frame as one array, and
 * `pg` serialises an array element by element through two regex replaces and a type dispatch
 * each, which profiled as the largest part of the server's own CPU time per change on
 * PostgreSQL. The literal is what `pg` sends for the same array (so PostgreSQL parses the same
 * values): strings quoted with `\` and `"` escaped, numbers as their text, null as NULL, bytes
 * as `\\x` hex; only the work is less (an element without `\` or `"`, almost all of them, is
 * copied as it is).
 */

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

/** One element of an array literal. */
function element(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return NEEDS_ESCAPE.test(v) ? `"${v.replace(ESCAPED, '\\$&')}"` : `"${v}"`;
  if (typeof v === 'number' || typeof v === 'bigint') return `"${String(v)}"`;
  if (typeof v === 'boolean') return v ? '"true"' : '"false"';
  if (v instanceof Uint8Array) return `\\\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  // Anything else (not written by the storage code): as `pg` would send it alone, quoted.
  return element(JSON.stringify(v));
}

/** The array literal of `values` (one dimension), for a parameter cast to an array type (`$1::text[]`). */
export function arrayLiteral(values: readonly unknown[]): string {
  if (values.length === 0) return '{}';
  // The common columns, in a join each: all texts without `"` or `\` (none has one when their
  // concatenation has none), or all finite numbers (an unquoted number reads as the quoted one).
  if (values.every((v) => typeof v === 'string')) {
    if (!NEEDS_ESCAPE.test((values as readonly string[]).join(''))) return `{"${values.join('","')}"}`;
  } else if (values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return `{${values.join(',')}}`;
  }
  let out = '{';
  for (let i = 0; i < values.length; i++) out += (i === 0 ? '' : ',') + element(values[i]);
  return `${out}}`;
}
