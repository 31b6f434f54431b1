/**
 * Watchers for the fuzz invariants: every SQL text a database prepares or runs (so a spec can
 * check that no quoted identifier outside an allowed set ever reached SQL), and the JS
 * prototypes (so a spec can check that no frame changed them).
 */

/** Quoted identifiers in an SQL text (`"name"`, with `""` escapes). */
export function quotedIdentifiers(sql: string): string[] {
  const out: string[] = [];
  for (const m of sql.matchAll(/"((?:[^"]|"")*)"/g)) out.push(m[1]!.replace(/""/g, '"'));
  return out;
}

type Proto = Record<string, unknown>;

/**
 * Wrap `methods` of `proto` (a database class's prototype) so each SQL text passed as first
 * argument is recorded in `seen`. Returns a function that restores the originals.
 */
export function spyOnSql(proto: object, methods: readonly string[], seen: Set<string>): () => void {
  const p = proto as Proto;
  const originals = methods.map((m) => [m, p[m]] as const);
  for (const [m, original] of originals) {
    p[m] = function (this: unknown, sql: unknown, ...rest: unknown[]) {
      if (typeof sql === 'string') seen.add(sql);
      return (original as (...a: unknown[]) => unknown).call(this, sql, ...rest);
    };
  }
  return () => {
    for (const [m, original] of originals) p[m] = original;
  };
}

/** Identifiers in `sqls` that are not in `allowed`. */
export function foreignIdentifiers(sqls: Iterable<string>, allowed: ReadonlySet<string>): string[] {
  const bad = new Set<string>();
  for (const sql of sqls) for (const id of quotedIdentifiers(sql)) if (!allowed.has(id)) bad.add(id);
  return [...bad];
}

/** A fingerprint of the built-in prototypes a hostile frame could try to change. */
export function prototypeFingerprint(): string {
  const protos: object[] = [Object.prototype, Array.prototype, Function.prototype, String.prototype];
  const polluted = ({} as Record<string, unknown>)['polluted'];
  return JSON.stringify([protos.map((p) => Object.getOwnPropertyNames(p).sort().join(',')), polluted === undefined]);
}
