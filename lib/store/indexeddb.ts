/**
 * IndexedDB medium (browser, window or worker). One IndexedDB database per store with two object
 * stores: `snapshot` (one value) and `journal` (frames, auto-increment keys in append order).
 * An append is ONE IndexedDB transaction however many store transactions its frames hold
 * (group commit); replacing the snapshot and emptying the journal is one atomic transaction.
 *
 * Owner epoch: `load()` reads the journal and raises the epoch kept under the `owner` key of the
 * snapshot store in ONE transaction; every append and snapshot write checks, in its own
 * transaction, that the epoch is still this load's. So when a second engine opens the database
 * (another tab, a new leader after a steal), the first one's next write fails with
 * `store_taken_over` and nothing it writes lands after what the second one read.
 */
import { ErrorCodes, PersistenceError } from '../errors.js';
import { storeTakenOver, type PersistedState, type Persistence } from './persistence.js';

/** Options of {@link indexedDbPersistence}. */
export interface IndexedDbPersistenceOptions {
  /** IndexedDB database name (one per store / per app schema). */
  name: string;
  /** The IndexedDB factory; default `globalThis.indexedDB`. */
  indexedDB?: IDBFactory;
  /**
   * Commit durability hint. `relaxed` (default) survives a crash of the tab or worker; `strict`
   * also waits for the OS to flush to disk (survives power loss, much slower in Chromium).
   */
  durability?: IDBTransactionDurability;
}

const SNAPSHOT = 'snapshot';
const JOURNAL = 'journal';
const SNAPSHOT_KEY = 'db';
const OWNER_KEY = 'owner';

/** A {@link Persistence} in IndexedDB. */
export function indexedDbPersistence(options: IndexedDbPersistenceOptions): Persistence {
  const factory = options.indexedDB ?? globalThis.indexedDB;
  const durability = options.durability ?? 'relaxed';
  const name = `indexeddb:${options.name}`;
  let opening: Promise<IDBDatabase> | null = null;
  const database = (): Promise<IDBDatabase> => (opening ??= openDatabase(factory, options.name));
  /** The epoch this medium's load claimed (undefined before load: writes are not checked). */
  let epoch: number | undefined;
  /** Run `write` in `tx` only if the owner epoch is still ours; otherwise abort it: store_taken_over. */
  const owned = async (tx: IDBTransaction, write: () => void): Promise<void> => {
    let taken = false;
    const check = tx.objectStore(SNAPSHOT).get(OWNER_KEY);
    check.onsuccess = () => {
      if (epoch !== undefined && check.result !== epoch) {
        taken = true;
        tx.abort();
      } else write();
    };
    try {
      await done(tx, name);
    } catch (e) {
      throw taken ? storeTakenOver(name) : e;
    }
  };

  return {
    name,
    async load(): Promise<PersistedState> {
      const db = await database();
      const tx = db.transaction([SNAPSHOT, JOURNAL], 'readwrite', { durability });
      const store = tx.objectStore(SNAPSHOT);
      const snapshot = request<unknown>(store.get(SNAPSHOT_KEY));
      const journal = request<unknown[]>(tx.objectStore(JOURNAL).getAll());
      const owner = new Promise<number>((resolve, reject) => {
        const req = store.get(OWNER_KEY);
        // In the success callback itself, while the transaction is surely active.
        req.onsuccess = () => {
          const next = (typeof req.result === 'number' ? req.result : 0) + 1;
          store.put(next, OWNER_KEY);
          resolve(next);
        };
        req.onerror = () => reject(req.error);
      });
      // Await all together: a failed transaction must not leave the requests' rejections unhandled.
      const [, snap, frames, claimed] = await Promise.all([done(tx, name), snapshot, journal, owner]);
      epoch = claimed;
      return { snapshot: toBytes(snap), journal: frames.map((v) => toBytes(v) ?? new Uint8Array(0)), epoch: claimed };
    },
    async append(frames: Uint8Array): Promise<void> {
      const db = await database();
      const tx = db.transaction([SNAPSHOT, JOURNAL], 'readwrite', { durability });
      await owned(tx, () => tx.objectStore(JOURNAL).add(frames));
    },
    async replaceSnapshot(snapshot: Uint8Array): Promise<void> {
      const db = await database();
      const tx = db.transaction([SNAPSHOT, JOURNAL], 'readwrite', { durability });
      await owned(tx, () => {
        tx.objectStore(SNAPSHOT).put(snapshot, SNAPSHOT_KEY);
        tx.objectStore(JOURNAL).clear();
      });
    },
    async close(): Promise<void> {
      if (opening) (await opening).close();
      opening = null;
    },
  };
}

/** Delete the IndexedDB database of a store (all its data). */
export function deleteIndexedDbStore(name: string, factory: IDBFactory = globalThis.indexedDB): Promise<void> {
  return request(factory.deleteDatabase(name)).then(() => undefined);
}

function openDatabase(factory: IDBFactory, dbName: string): Promise<IDBDatabase> {
  const req = factory.open(dbName, 1);
  req.onupgradeneeded = () => {
    const db = req.result;
    // Version 1: the two object stores.
    if (!db.objectStoreNames.contains(SNAPSHOT)) db.createObjectStore(SNAPSHOT);
    if (!db.objectStoreNames.contains(JOURNAL)) db.createObjectStore(JOURNAL, { autoIncrement: true });
  };
  return request(req).catch((cause: unknown) => {
    throw new PersistenceError(ErrorCodes.PERSISTENCE, `could not open IndexedDB database "${dbName}"`, { cause });
  });
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction, name: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    const fail = (): void => reject(new PersistenceError(ErrorCodes.PERSISTENCE, `IndexedDB transaction failed (${name})`, { cause: tx.error }));
    tx.onerror = fail;
    tx.onabort = fail;
  });
}

function toBytes(v: unknown): Uint8Array | null {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  return null;
}
