/**
 * An in-memory copy of the app's tables, for access rules on a backend that cannot answer
 * synchronously (PostgreSQL): ReadAccess (`get`, `where`), the rows after a commit and the scans
 * of scope patches read it. Loaded at start, then each row a commit touched is read again from
 * the database right after the commit (inside the server's serialised applies), so it is the
 * committed state. Costs memory in proportion to the tables: the SQLite backend reads its own
 * tables instead. `where` builds a hash index per (table, column) on first use.
 */
import type { Row, SchemaDeclaration } from '../../lib/protocol/index.js';
import type { RowSource } from './read-access.js';
import type { RowScanner } from './patch.js';

/** Every row of every table of `schema`, kept current by {@link TableMirror.set}. */
export class TableMirror implements RowSource, RowScanner {
  private readonly tables = new Map<string, Map<string, Row>>();
  private readonly indexes = new Map<string, Map<string, Map<unknown, Set<string>>>>();

  private constructor(private readonly schema: SchemaDeclaration) {
    for (const t of Object.keys(schema)) this.tables.set(t, new Map());
  }

  /** Load every table with `scan` (all rows of one table). */
  static async load(schema: SchemaDeclaration, scan: (table: string) => Promise<Row[]>): Promise<TableMirror> {
    const m = new TableMirror(schema);
    for (const t of Object.keys(schema)) for (const row of await scan(t)) m.set(t, String(row[schema[t]!.primaryKey]), row);
    return m;
  }

  currentRow(entity: string, entityId: string): Row | null {
    return this.tables.get(entity)?.get(entityId) ?? null;
  }

  rowsWhere(entity: string, column: string, value: unknown): Row[] {
    const rows = this.tables.get(entity);
    if (!rows || !Object.prototype.hasOwnProperty.call(this.schema[entity]!.columns, column)) return [];
    const ids = this.index(entity, column).get(key(value));
    return ids ? [...ids].map((id) => rows.get(id)!) : [];
  }

  *scanRows(entity: string): IterableIterator<Row> {
    yield* this.tables.get(entity)?.values() ?? [];
  }

  /** The row `id` of `table` is now `row` (null: deleted). */
  set(table: string, id: string, row: Row | null): void {
    const rows = this.tables.get(table);
    if (!rows) return;
    const old = rows.get(id);
    const byColumn = this.indexes.get(table);
    if (byColumn) {
      for (const [col, index] of byColumn) {
        if (old) index.get(key(old[col]))?.delete(id);
        if (row) {
          const k = key(row[col]);
          let set = index.get(k);
          if (!set) index.set(k, (set = new Set()));
          set.add(id);
        }
      }
    }
    if (row) rows.set(id, Object.freeze({ ...row }));
    else rows.delete(id);
  }

  private index(table: string, column: string): Map<unknown, Set<string>> {
    let byColumn = this.indexes.get(table);
    if (!byColumn) this.indexes.set(table, (byColumn = new Map()));
    let index = byColumn.get(column);
    if (!index) {
      index = new Map();
      for (const [id, row] of this.tables.get(table)!) {
        const k = key(row[column]);
        let set = index.get(k);
        if (!set) index.set(k, (set = new Set()));
        set.add(id);
      }
      byColumn.set(column, index);
    }
    return index;
  }
}

/** One key per SQL-equal value: numbers and their text differ, booleans are 0/1, null/undefined one. */
function key(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}
