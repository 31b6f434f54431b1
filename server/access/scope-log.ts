/**
 * The scopes each logged change touched (the row's scopes before OR after it), by LSN: catch-up
 * pages use them to tell which changes a connection could see. Kept in the server's SQLite file
 * (table `rsw_access_log`, through a second connection), or in memory for `:memory:` and other
 * backends. Written right after the commit: an LSN missing here (logged before access rules were
 * configured, or a crash between the two writes) falls back to the row's current scopes.
 */
import Database from 'better-sqlite3';

/** Scopes by LSN. */
export class ScopeLog {
  private readonly db: Database.Database;
  private readonly insert;
  private readonly range;
  private readonly writeMany;

  constructor(file: string) {
    this.db = new Database(file.startsWith('postgres') ? ':memory:' : file);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec('CREATE TABLE IF NOT EXISTS rsw_access_log (lsn INTEGER PRIMARY KEY, scopes TEXT NOT NULL)');
    this.insert = this.db.prepare('INSERT OR REPLACE INTO rsw_access_log (lsn, scopes) VALUES (?, ?)');
    this.range = this.db.prepare('SELECT lsn, scopes FROM rsw_access_log WHERE lsn > ? AND lsn <= ?');
    this.writeMany = this.db.transaction((entries: readonly (readonly [number, readonly string[]])[]) => {
      for (const [lsn, scopes] of entries) this.insert.run(lsn, JSON.stringify(scopes));
    });
  }

  /** Record the scopes of committed changes. */
  record(entries: readonly (readonly [number, readonly string[]])[]): void {
    if (entries.length > 0) this.writeMany(entries);
  }

  /** The recorded scopes of the LSNs in (`from`, `to`]. */
  between(from: number, to: number): Map<number, string[]> {
    const out = new Map<number, string[]>();
    for (const r of this.range.all(from, to) as { lsn: number; scopes: string }[]) out.set(r.lsn, JSON.parse(r.scopes) as string[]);
    return out;
  }

  /** Close the connection. Idempotent. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
