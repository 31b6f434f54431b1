/** Version 2 of the test schema (TEST_SCHEMA is version 1): the mixed-version specs use both. */
import type { MigrationInput } from '../../lib/index.js';
import { TEST_SCHEMA } from './schema.js';

export const TEST_SCHEMA_V2 = {
  todos: {
    primaryKey: 'id',
    columns: {
      ...TEST_SCHEMA.todos.columns,
      priority: { type: 'INTEGER', notNull: true, default: 0 },
      flag: { type: 'BOOLEAN', notNull: true, default: false },
      meta: 'JSON',
      photo: 'BLOB',
    },
    indexes: { todos_by_priority: { columns: ['priority'] } },
  },
  notes: TEST_SCHEMA.notes,
  tags: { primaryKey: 'id', columns: { id: 'TEXT', label: 'TEXT' } },
} as const;

export const TEST_MIGRATIONS_V2: MigrationInput[] = [
  {
    version: 2,
    steps: [
      { op: 'addColumn', table: 'todos', column: 'priority', backfill: 0 },
      { op: 'addColumn', table: 'todos', column: 'flag' },
      { op: 'addColumn', table: 'todos', column: 'meta' },
      { op: 'addColumn', table: 'todos', column: 'photo' },
      { op: 'addIndex', index: 'todos_by_priority' },
      { op: 'addTable', table: 'tags' },
    ],
  },
];
