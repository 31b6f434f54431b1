/**
 * rx-sync-worker: keep a browser app's local SQLite (sql.js) in sync with a server over a
 * WebSocket, from one Web Worker. See README.md and docs/DESIGN.md.
 */
export * from './client/index.js';
export * from './errors.js';
export type { LocalChange } from './engine/ports.js';
export { parseSchema, type SchemaDeclaration, type SchemaInput, type Row, type Value, type ColumnType } from './protocol/index.js';
export type { MigrationInput, MigrationStep } from './schema/migrations.js';
