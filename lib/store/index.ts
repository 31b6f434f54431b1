/** The durable sql.js store (browser worker and Node). Node's file medium is in lib/node/. */
export { openStore, type OpenStoreOptions } from './open.js';
export { SqlJsStore } from './store.js';
export { memoryPersistence, createMemoryMedium, type MemoryMedium, type Persistence, type PersistedState } from './persistence.js';
export { indexedDbPersistence, deleteIndexedDbStore, type IndexedDbPersistenceOptions } from './indexeddb.js';
export { MIGRATIONS, runMigrations, schemaVersion, type Migration } from './migrations.js';
export { loadSqlJs, type WasmFallback } from './sqljs.js';
export type { DurabilityStats } from './group-commit.js';
