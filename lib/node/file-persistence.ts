/**
 * File medium (Node only). The snapshot lives in `<path>`, the journal in `<path>.journal`.
 * An append is one `write` + one `fdatasync` however many store transactions it holds (group
 * commit). A snapshot is written to `<path>.tmp`, synced, renamed over `<path>` (atomic), and
 * only then is the journal emptied; a crash in between leaves journal transactions the new
 * snapshot already holds, which the store skips by sequence number.
 */
import { open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCodes, PersistenceError } from '../errors.js';
import type { PersistedState, Persistence } from '../store/persistence.js';

/** Options of {@link filePersistence}. */
export interface FilePersistenceOptions {
  /** Path of the snapshot file; the journal is `<path>.journal`, the temporary snapshot `<path>.tmp`. */
  path: string;
  /** `fdatasync` after every write (default true). Off only for benchmarks / throwaway data. */
  fsync?: boolean;
}

/** A {@link Persistence} in two files. */
export function filePersistence(options: FilePersistenceOptions): Persistence {
  const { path } = options;
  const journalPath = `${path}.journal`;
  const sync = options.fsync ?? true;
  const name = `file:${path}`;
  let journal: FileHandle | null = null;
  // Bytes of the journal we know to be good: a failed append is cut back to this.
  let size = 0;

  const handle = async (): Promise<FileHandle> => {
    if (!journal) {
      journal = await open(journalPath, 'a');
      size = (await journal.stat()).size;
    }
    return journal;
  };

  return {
    name,
    async load(): Promise<PersistedState> {
      const snapshot = await readOptional(path);
      const bytes = await readOptional(journalPath);
      return { snapshot, journal: bytes ? [bytes] : [] };
    },
    async append(frames: Uint8Array): Promise<void> {
      const fh = await handle();
      try {
        await writeAll(fh, frames);
        if (sync) await fh.datasync();
        size += frames.length;
      } catch (cause) {
        // Never leave half a frame in front of the next one.
        await fh.truncate(size).catch(() => undefined);
        throw new PersistenceError(ErrorCodes.PERSISTENCE, `journal append failed (${name})`, { cause });
      }
    },
    async replaceSnapshot(snapshot: Uint8Array): Promise<void> {
      const tmp = `${path}.tmp`;
      try {
        const out = await open(tmp, 'w');
        try {
          await writeAll(out, snapshot);
          if (sync) await out.datasync();
        } finally {
          await out.close();
        }
        await rename(tmp, path);
        if (sync) await syncDirectory(dirname(path));
        const fh = await handle();
        await fh.truncate(0);
        if (sync) await fh.datasync();
        size = 0;
      } catch (cause) {
        throw new PersistenceError(ErrorCodes.PERSISTENCE, `snapshot write failed (${name})`, { cause });
      }
    },
    async close(): Promise<void> {
      const fh = journal;
      journal = null;
      if (fh) await fh.close();
    },
  };
}

async function readOptional(file: string): Promise<Uint8Array | null> {
  try {
    const buf = await readFile(file);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    // No file yet: a new store.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PersistenceError(ErrorCodes.PERSISTENCE, `could not read ${file}`, { cause: e });
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, at, bytes.length - at);
    at += bytesWritten;
  }
}

/** fsync the directory so that the rename itself is durable. */
async function syncDirectory(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
