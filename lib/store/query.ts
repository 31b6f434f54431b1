/**
 * Read-only app SQL. Every query runs under `PRAGMA query_only = ON` (switched off again after),
 * so nothing can write behind the journal's back. One statement per call; statements are
 * prepared once per SQL text (small LRU), as live queries re-run the same SQL often.
 */
import type { Database, SqlValue, Statement } from 'sql.js';
import { StoreError } from '../errors.js';

/** Statements kept prepared (by SQL text). */
const CACHE_SIZE = 32;
/** Statements an app query may start with (anything else — PRAGMA, ATTACH, BEGIN... — is refused). */
const READ_KEYWORDS = new Set(['select', 'with', 'values', 'explain']);

/** Runs app queries on one database. */
export class QueryRunner {
  private readonly cache = new Map<string, Statement>();

  constructor(private readonly db: Database) {}

  /** Run one read-only statement with bound parameters; returns row objects. */
  query(sql: string, params: readonly (string | number | null)[] = []): Record<string, unknown>[] {
    const keyword = firstKeyword(sql);
    if (!READ_KEYWORDS.has(keyword)) throw new StoreError(`query() runs read-only SQL only (got "${keyword.slice(0, 20).toUpperCase()}")`);
    // Not a cached statement: SQLite applies this pragma when it is PREPARED, not when it is stepped.
    this.db.run('PRAGMA query_only = ON');
    try {
      const stmt = this.statement(sql);
      const rows: Record<string, unknown>[] = [];
      try {
        stmt.bind(params as SqlValue[]);
        while (stmt.step()) rows.push(stmt.getAsObject());
      } finally {
        stmt.reset();
      }
      return rows;
    } catch (cause) {
      throw cause instanceof StoreError ? cause : new StoreError(`query failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    } finally {
      this.db.run('PRAGMA query_only = OFF');
    }
  }

  /** Free every statement (on close). */
  free(): void {
    for (const s of this.cache.values()) s.free();
    this.cache.clear();
  }

  private statement(sql: string): Statement {
    const hit = this.cache.get(sql);
    if (hit) {
      // Move to the young end of the LRU.
      this.cache.delete(sql);
      this.cache.set(sql, hit);
      return hit;
    }
    // A second statement would run outside our checks: refuse (trailing comments are fine).
    // Counting via the iterator prepares (and frees) each one; only on a cache miss.
    let count = 0;
    for (const st of this.db.iterateStatements(sql)) {
      st.free();
      count++;
    }
    if (count !== 1) throw new StoreError(count === 0 ? 'query() got no SQL statement' : 'query() runs exactly one statement');
    const stmt = this.db.prepare(sql);
    if (this.cache.size >= CACHE_SIZE) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.get(oldest)!.free();
      this.cache.delete(oldest);
    }
    this.cache.set(sql, stmt);
    return stmt;
  }
}

/** The first keyword of `sql`, lower-cased, after whitespace, comments and opening parentheses. */
export function firstKeyword(sql: string): string {
  let i = 0;
  for (;;) {
    while (i < sql.length && (/\s/.test(sql[i]!) || sql[i] === '(')) i++;
    if (sql.startsWith('--', i)) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else {
      break;
    }
  }
  const m = /^[A-Za-z]+/.exec(sql.slice(i));
  return m ? m[0].toLowerCase() : '';
}
