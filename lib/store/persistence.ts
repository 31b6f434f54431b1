/**
 * The one interface every storage medium implements (memory, IndexedDB, file), and the memory
 * medium. A medium stores two things: the latest snapshot (`db.export()` bytes) and the journal
 * (frames appended since; see `journal.ts`). It knows nothing about SQL.
 */
import { ErrorCodes, PersistenceError } from '../errors.js';

/** What a medium holds when the store opens. */
export interface PersistedState {
  /** The latest snapshot, or null for a new database. */
  snapshot: Uint8Array | null;
  /** The journal, as the chunks it was appended in (concatenate in order). */
  journal: Uint8Array[];
  /**
   * The owner epoch this load claimed (a medium that supports it): every later open claims a
   * higher one, and a write by an older owner fails with `store_taken_over`.
   */
  epoch?: number;
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

/** The error of a write by an engine whose database another engine opened since. */
export function storeTakenOver(name: string): PersistenceError {
  return new PersistenceError(ErrorCodes.STORE_TAKEN_OVER, `${name} was opened for writing by another engine (another tab?): this one stops writing`);
}

/**
 * The bytes a memory medium holds. Keep a reference to reopen a store on the same "disk" after
 * dropping the first one without closing it (a simulated crash).
 */
export interface MemoryMedium {
  snapshot: Uint8Array | null;
  journal: Uint8Array[];
  /** Owner epoch: bumped by every load, checked by every write. */
  epoch?: number;
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
  let mine: number | undefined;
  const taken = (): Promise<void> | null => (mine !== undefined && medium.epoch !== mine ? Promise.reject(storeTakenOver('memory')) : null);
  return {
    name: 'memory',
    load: () => {
      mine = medium.epoch = (medium.epoch ?? 0) + 1;
      return Promise.resolve({ snapshot: medium.snapshot, journal: [...medium.journal], epoch: mine });
    },
    append: (frames) => {
      const refused = taken();
      if (refused) return refused;
      medium.journal.push(frames);
      return Promise.resolve();
    },
    replaceSnapshot: (snapshot) => {
      const refused = taken();
      if (refused) return refused;
      medium.snapshot = snapshot;
      medium.journal = [];
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}
