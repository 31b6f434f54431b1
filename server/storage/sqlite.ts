/**
 * The SQLite implementation of the storage port: the existing better-sqlite3 {@link LogStore}
 * (one file, one process, synchronous, so commit order is LSN order by construction).
 */
import { LogStore, type LogStoreOptions } from '../store.js';
import type { SyncStorage } from './types.js';

/** {@link SyncStorage} over a {@link LogStore}. */
export class SqliteStorage implements SyncStorage {
  readonly backend = 'sqlite' as const;
  snapshotFirstSync = true;
  readonly serverId: string;

  constructor(readonly log: LogStore) {
    this.serverId = log.serverId;
  }

  /** Open (or create) the SQLite file (or `':memory:'`). */
  static open(opts: LogStoreOptions): SqliteStorage {
    return new SqliteStorage(LogStore.open(opts));
  }

  lsn(): number {
    return this.log.lsn();
  }

  refreshLsn(): number {
    return this.log.lsn();
  }

  applyChanges(...args: Parameters<LogStore['applyChanges']>) {
    return this.log.applyChanges(...args);
  }

  readPage(from: number, limit: number, maxBytes?: number, cursor?: number, clientId: string | null = null) {
    // From 0 (a first sync), from behind the compaction horizon, or continuing one: the compacted log (current rows).
    if (cursor !== undefined || (from === 0 && this.snapshotFirstSync) || from < this.horizon()) return this.log.snapshotPage(from, limit, maxBytes, cursor ?? from, clientId);
    return this.log.readPage(from, limit, maxBytes);
  }

  readLog(from: number, limit: number, maxBytes?: number) {
    return this.log.readPage(from, limit, maxBytes);
  }

  horizon(): number {
    return this.log.horizon();
  }

  compact(retentionMs: number) {
    const out = this.log.compact(retentionMs);
    return { ...out, clientsPruned: this.log.pruneClients() };
  }

  currentRow(entity: string, entityId: string) {
    return this.log.currentRow(entity, entityId);
  }

  clientSeen(clientId: string, sub?: string | null) {
    return this.log.clientSeen(clientId, sub);
  }

  pruneClients() {
    return this.log.pruneClients();
  }

  clientAcked(clientId: string, lsn: number) {
    this.log.clientAcked(clientId, lsn);
  }

  client(clientId: string) {
    return this.log.client(clientId);
  }

  onForeignCommit(): () => void {
    return () => undefined; // every write goes through this process's hub
  }

  close(): void {
    this.log.close();
  }
}
