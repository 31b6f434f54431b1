/**
 * `query$`: a query that re-runs after local or server changes touching its tables and emits only
 * when its result actually changed (results are compared as the JSON text the worker sends).
 */
import { Observable, defer, distinctUntilChanged, filter, from, map, merge, of, switchMap } from 'rxjs';

/** Tables a query reads: every declared table whose name appears as a word in the SQL. */
export function tablesOf(sql: string, tables: readonly string[]): Set<string> {
  const found = new Set<string>();
  for (const t of tables) {
    if (new RegExp(`(^|[^A-Za-z0-9_])"?${t}"?([^A-Za-z0-9_]|$)`, 'i').test(sql)) found.add(t);
  }
  return found;
}

/**
 * @param run      runs the query, resolving to the result as JSON text
 * @param changed$ entities touched by each committed change set (local or server)
 * @param tables   tables the query reads (re-run only when one of them changes)
 * @param decode   turns stored values into app values (BOOLEAN, JSON, BLOB columns), if any
 */
export function liveQuery<T>(
  run: () => Promise<string>,
  changed$: Observable<readonly string[]>,
  tables: ReadonlySet<string>,
  decode: ((rows: Record<string, unknown>[]) => Record<string, unknown>[]) | null = null,
): Observable<T[]> {
  const touched$ = changed$.pipe(filter((entities) => tables.size === 0 || entities.some((e) => tables.has(e))));
  return merge(of(null), touched$).pipe(
    // A newer change makes an older, still running read useless: switch to the latest.
    switchMap(() => defer(() => from(run()))),
    distinctUntilChanged(),
    map((json) => {
      const rows = JSON.parse(json) as Record<string, unknown>[];
      return (decode ? decode(rows) : rows) as T[];
    }),
  );
}
