/**
 * The two storage implementations, as factories the shared storage suite runs against: SQLite on
 * a temporary file, PostgreSQL on a fresh schema of the run's database. `reopen` opens the SAME
 * database again (a restart, or a second node).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSchema } from '../../../lib/protocol/index.js';
import { PgStorage } from '../../../server/storage/postgres.js';
import { SqliteStorage } from '../../../server/storage/sqlite.js';
import type { SyncStorage } from '../../../server/storage/types.js';
import { freshPgUrl } from '../../support/pg.js';
import { SCHEMA } from '../helpers.js';

/** What a storage spec may set. */
export interface OpenOptions {
  now?: () => number;
  clientRetentionMs?: number;
  maxChangeBytes?: number;
}

/** One database of one backend. */
export interface Backend {
  readonly name: 'sqlite' | 'postgres';
  /** Open the database (again). */
  open(opts?: OpenOptions): Promise<SyncStorage>;
  /** Remove what it left (temp files). */
  cleanup(): void;
}

/** A fresh database of each backend. */
export const BACKENDS: ReadonlyArray<{ name: 'sqlite' | 'postgres'; make: () => Backend }> = [
  {
    name: 'sqlite',
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), 'rsw-storage-'));
      const file = join(dir, 'sync.sqlite');
      return {
        name: 'sqlite',
        open: async (o = {}) => SqliteStorage.open({ file, schema: parseSchema(SCHEMA), now: o.now ?? (() => 0), ...pick(o) }),
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'postgres',
    make: () => {
      const url = freshPgUrl();
      return {
        name: 'postgres',
        open: (o = {}) => PgStorage.open({ url, schema: parseSchema(SCHEMA), now: o.now ?? (() => 0), ...pick(o) }),
        cleanup: () => undefined, // the run's database is dropped at the end of the run
      };
    },
  },
];

function pick(o: OpenOptions): Omit<OpenOptions, 'now'> {
  return { ...(o.clientRetentionMs !== undefined && { clientRetentionMs: o.clientRetentionMs }), ...(o.maxChangeBytes !== undefined && { maxChangeBytes: o.maxChangeBytes }) };
}
