/** Which connections hold which scope: the holders of a row's scopes are the only ones a change can reach. */
export class ScopeIndex<K> {
  private readonly byScope = new Map<string, Set<K>>();

  /** `key` now holds `scopes` (in addition to what it held). */
  add(key: K, scopes: Iterable<string>): void {
    for (const s of scopes) {
      let set = this.byScope.get(s);
      if (!set) this.byScope.set(s, (set = new Set()));
      set.add(key);
    }
  }

  /** `key` no longer holds `scopes`. */
  remove(key: K, scopes: Iterable<string>): void {
    for (const s of scopes) {
      const set = this.byScope.get(s);
      if (!set) continue;
      set.delete(key);
      if (set.size === 0) this.byScope.delete(s);
    }
  }

  /** Every key holding one of `scopes`, added to `into`. */
  holders(scopes: Iterable<string>, into: Set<K> = new Set()): Set<K> {
    for (const s of scopes) for (const k of this.byScope.get(s) ?? []) into.add(k);
    return into;
  }
}

/** Does `scopes` hold one of `row`? */
export function intersects(row: readonly string[], scopes: ReadonlySet<string>): boolean {
  for (const s of row) if (scopes.has(s)) return true;
  return false;
}
