/**
 * The one interface every storage medium implements (memory, IndexedDB, file), and the memory
 * medium. A medium stores two things: the latest snapshot (`db.export()` bytes) and the journal
 * (frames appended since; see `journal.ts`). It knows nothing about SQL.
 */

/** What a medium holds when the store opens. */
export interface PersistedState {
  /** The latest snapshot, or null for a new database. */
  snapshot: Uint8Array | null;
  /** The journal, as the chunks it was appended in (concatenate in order). */
  journal: Uint8Array[];
}

/** A storage medium for the store. */
export interface Persistence {
  /** Short name for logs and errors (`memory`, `indexeddb:<name>`, `file:<path>`). */
  readonly name: string;
  /** Read what is stored. */
  load(): Promise<PersistedState>;
  /** Append frames to the journal; resolves once they are durable (one medium write). */
  append(frames: Uint8Array): Promise<void>;
  /**
   * Replace the snapshot, then empty the journal. A crash between the two must leave the new
   * snapshot in place (journal transactions it already holds are skipped by sequence number).
   */
  replaceSnapshot(snapshot: Uint8Array): Promise<void>;
  /** Release the medium (close handles). */
  close(): Promise<void>;
}

/**
 * The bytes a memory medium holds. Keep a reference to reopen a store on the same "disk" after
 * dropping the first one without closing it (a simulated crash).
 */
export interface MemoryMedium {
  snapshot: Uint8Array | null;
  journal: Uint8Array[];
}

/** A new, empty memory medium. */
export function createMemoryMedium(): MemoryMedium {
  return { snapshot: null, journal: [] };
}

/**
 * Persistence in memory: nothing outlives the process, but the same code paths run (journal,
 * snapshot, group commit), and a medium can be shared between store instances in tests.
 */
export function memoryPersistence(medium: MemoryMedium = createMemoryMedium()): Persistence {
  return {
    name: 'memory',
    load: () => Promise.resolve({ snapshot: medium.snapshot, journal: [...medium.journal] }),
    append: (frames) => {
      medium.journal.push(frames);
      return Promise.resolve();
    },
    replaceSnapshot: (snapshot) => {
      medium.snapshot = snapshot;
      medium.journal = [];
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}
