/** Shared bits of the store specs (browser-safe: no node:* imports). */
import { openStore, type OpenStoreOptions } from '../../lib/store/index.js';
import { createMemoryMedium, memoryPersistence, type MemoryMedium, type Persistence } from '../../lib/store/persistence.js';
import type { SqlJsStore } from '../../lib/store/store.js';
import type { ChangeRequest, ServerChange } from '../../lib/protocol/index.js';

export const SCHEMA = {
  todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER' } },
  notes: { primaryKey: 'n', columns: { n: 'INTEGER', body: 'TEXT' } },
};

/** SCHEMA with a UNIQUE index on todos.title: two rows with one title make SQLite fail mid-write. */
export const UNIQUE_TITLES = { ...SCHEMA, todos: { ...SCHEMA.todos, indexes: { todos_title: { columns: ['title'], unique: true } } } };

/** A deterministic change_id source: `<prefix>-1`, `<prefix>-2`, ... */
export function ids(prefix = 'c'): () => string {
  let n = 0;
  return () => `${prefix}-${++n}`;
}

/** Open a store on `medium` (a fresh one if omitted) with deterministic ids. */
export function openMem(medium: MemoryMedium = createMemoryMedium(), extra: Partial<OpenStoreOptions> = {}): Promise<SqlJsStore> {
  return openStore({ schema: SCHEMA, persistence: memoryPersistence(medium), clientId: 'me', newId: ids('me'), ...extra });
}

export const insert = (id: string, title: string, done = 0): ChangeRequest => ({ op: 'insert', entity: 'todos', entity_id: id, data: { id, title, done } });
export const update = (id: string, data: Record<string, string | number | null>): ChangeRequest => ({ op: 'update', entity: 'todos', entity_id: id, data });
export const remove = (id: string): ChangeRequest => ({ op: 'delete', entity: 'todos', entity_id: id, data: null });

/** A server change on `todos`. */
export function sc(lsn: number, change_id: string, op: ServerChange['op'], id: string, data: ServerChange['data'], client_id = 'other'): ServerChange {
  return { lsn, change_id, client_id, entity: 'todos', entity_id: id, op, data };
}

/** The todos rows, ordered by id. */
export function todos(store: SqlJsStore): Record<string, unknown>[] {
  return store.query('SELECT id, title, done FROM todos ORDER BY id');
}

/** Wraps a medium, counting writes and optionally holding or failing them. */
export class ProbePersistence implements Persistence {
  readonly name = 'probe';
  appends = 0;
  snapshots = 0;
  /** When set, the next append rejects with this error. */
  failNext: Error | null = null;
  constructor(readonly inner: Persistence) {}
  load() {
    return this.inner.load();
  }
  append(frames: Uint8Array) {
    this.appends++;
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = null;
      return Promise.reject(e);
    }
    return this.inner.append(frames);
  }
  replaceSnapshot(s: Uint8Array) {
    this.snapshots++;
    return this.inner.replaceSnapshot(s);
  }
  close() {
    return this.inner.close();
  }
}
