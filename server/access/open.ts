/**
 * Access control for a server's storage. The rules read the current state synchronously
 * (ReadAccess), which the SQLite backend answers in-process; on another backend the server
 * refuses to start with access rules (a TypeError saying so) rather than serve unfiltered.
 */
import type { SchemaDeclaration } from '../../lib/protocol/index.js';
import type { Logger } from '../logger.js';
import { SqliteStorage } from '../storage/sqlite.js';
import type { SyncStorage } from '../storage/types.js';
import { AccessControl } from './access-control.js';
import { checkAccessRules } from './load.js';

/** Check `rules` and build the access control of a server over `storage` (its db file: `file`). */
export function accessControl(rules: unknown, schema: SchemaDeclaration, storage: SyncStorage, file: string, logger: Logger): AccessControl {
  const checked = checkAccessRules(rules, schema);
  if (!(storage instanceof SqliteStorage)) throw new TypeError(`access rules need the SQLite backend for now (this server uses ${storage.backend})`);
  return new AccessControl(checked, storage.log, schema, file, logger);
}
