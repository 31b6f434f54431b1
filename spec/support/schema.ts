/** The schema every spec that talks to the shared test server uses. */
export const TEST_SCHEMA = {
  todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER' } },
  notes: { primaryKey: 'id', columns: { id: 'TEXT', body: 'TEXT', rank: 'REAL' } },
} as const;
