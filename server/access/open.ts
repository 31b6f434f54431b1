/**
 * Access control for a server's storage. The rules read the current state synchronously
 * (ReadAccess): the SQLite backend answers from its own tables in-process; another backend
 * (PostgreSQL) gets an in-memory mirror of the tables (mirror.ts), loaded here at start.
 */
import type { Row, SchemaDeclaration, ServerChange } from '../../lib/protocol/index.js';
import type { Logger } from '../logger.js';
import { SqliteStorage } from '../storage/sqlite.js';
import type { SyncStorage } from '../storage/types.js';
import { AccessControl } from './access-control.js';
import { checkAccessRules } from './load.js';
import { TableMirror } from './mirror.js';

/** A backend that can list a table's rows (PostgreSQL). */
interface Scannable {
  scanRows(entity: string): Promise<Row[]>;
}

/** Check `rules` and build the access control of a server over `storage` (its db file or URL: `file`). */
export async function accessControl(rules: unknown, schema: SchemaDeclaration, storage: SyncStorage, file: string, logger: Logger): Promise<AccessControl> {
  const checked = checkAccessRules(rules, schema);
  if (storage instanceof SqliteStorage) return new AccessControl(checked, { rows: storage.log, pages: storage.log }, schema, file, logger);
  const scan = (storage as Partial<Scannable>).scanRows;
  if (typeof scan !== 'function') throw new TypeError(`access rules: the ${storage.backend} backend cannot list its rows`);
  const mirror = await TableMirror.load(schema, (t) => scan.call(storage, t));
  logger.info('access rules: tables mirrored in memory for the rules', { backend: storage.backend });
  // All rows read before any is set: a read that fails leaves the copy as it was (a relayed page
  // is tried again from the rows as they were, so no delete is lost; access/foreign.ts).
  const refresh = async (committed: readonly ServerChange[]) => {
    const read = new Map<string, { entity: string; id: string; row: Row | null }>();
    for (const c of committed) {
      const key = `${c.entity}\u0000${c.entity_id}`;
      if (!read.has(key)) read.set(key, { entity: c.entity, id: c.entity_id, row: await storage.currentRow(c.entity, c.entity_id) });
    }
    for (const r of read.values()) mirror.set(r.entity, r.id, r.row);
  };
  return new AccessControl(checked, { rows: mirror, pages: storage, refresh }, schema, file, logger);
}
