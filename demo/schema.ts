/**
 * The demo's schema: one shared todo list. Used by the page (both clients) and by the demo
 * server, so both sides declare the same tables.
 */
export const DEMO_SCHEMA = {
  todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER', created: 'INTEGER' } },
} as const;

/** One row of `todos` as the page reads it. */
export interface Todo {
  id: string;
  title: string;
  done: number;
  created: number;
}

/** What the page reads from `/config.json`. */
export interface DemoConfig {
  /** WebSocket URL of the sync server. */
  syncUrl: string;
  /** The server log's id: a fresh data file gets fresh browser databases (no stale LSN). */
  serverId: string;
}
