/**
 * The real reference server on a database FILE behind a {@link FaultProxy}, restartable on the
 * same file (a new port each time; the proxy follows) or recreated on a NEW empty file (another
 * server_id: the `server_changed` fault), and readable directly with better-sqlite3 (read-only)
 * to check invariants against its log and its current state.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startSyncServer, type SyncServer } from '../../../server/index.js';
import type { LogRow } from '../../../server/store.js';
import { TEST_SCHEMA } from '../../support/schema.js';
import { FaultProxy } from './proxy.js';

/** One row of the server's change log (as read here: without its data). */
export type LogEntry = Omit<LogRow, 'data'>;

/** What the server holds: its log and its current-state tables. */
export interface ServerState {
  log: LogEntry[];
  /** The log's identity (`welcome.server_id`). */
  serverId: string;
  todos: Record<string, unknown>[];
  notes: Record<string, unknown>[];
}

/** A server + proxy pair on a temporary folder. */
export class ServerHandle {
  restarts = 0;
  /** Databases created anew (`server_changed`). */
  recreations = 0;
  /** While true the server rejects every change (`permit`): the `reject` fault of a schedule. */
  refusing = false;

  private constructor(
    private server: SyncServer,
    readonly proxy: FaultProxy,
    readonly dir: string,
    private current: string,
  ) {}

  /** The database file the server runs on now. */
  get file(): string {
    return this.current;
  }

  /** Start the server on a fresh file and a proxy in front of it. */
  static async start(): Promise<ServerHandle> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsw-faults-'));
    const file = path.join(dir, 'server.sqlite');
    const gate = { refusing: () => false };
    const server = await open(file, () => gate.refusing());
    const proxy = await FaultProxy.start(server.port);
    const handle = new ServerHandle(server, proxy, dir, file);
    gate.refusing = () => handle.refusing;
    return handle;
  }

  /** URL the clients use: through the proxy. */
  get url(): string {
    return this.proxy.url;
  }

  /** The server's LSN. */
  lsn(): number {
    return this.server.lsn();
  }

  /** Stop the server and start it again on the same file (a new port; the proxy follows). */
  async restart(): Promise<void> {
    await this.server.close();
    this.server = await open(this.current, () => this.refusing);
    this.proxy.retarget(this.server.port);
    this.restarts++;
  }

  /**
   * Recreate the database: stop the server (`stop` runs while it is down: the old file is still
   * readable, no client can reach any server), then start it on a NEW empty file (another
   * server_id). Resolves to the old server's state as it was when it stopped.
   */
  async recreate(whileDown: (old: ServerState) => Promise<void>): Promise<ServerState> {
    await this.server.close();
    const old = this.state();
    await whileDown(old);
    this.recreations++;
    this.current = path.join(this.dir, `server-${this.recreations}.sqlite`);
    this.server = await open(this.current, () => this.refusing);
    this.proxy.retarget(this.server.port);
    return old;
  }

  /** Read the log and the tables, read-only, while the server runs (WAL allows it). */
  state(): ServerState {
    const db = new Database(this.current, { readonly: true, fileMustExist: true });
    try {
      return {
        serverId: db.prepare("SELECT value FROM server_meta WHERE key = 'server_id'").pluck().get() as string,
        log: db.prepare('SELECT lsn, change_id, client_id, entity, entity_id, op FROM change_log ORDER BY lsn').all() as LogEntry[],
        todos: db.prepare('SELECT * FROM todos ORDER BY id').all() as Record<string, unknown>[],
        notes: db.prepare('SELECT * FROM notes ORDER BY id').all() as Record<string, unknown>[],
      };
    } finally {
      db.close();
    }
  }

  /** Close the proxy and the server, remove the folder. */
  async close(): Promise<void> {
    await this.proxy.close();
    await this.server.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function open(file: string, refusing: () => boolean): Promise<SyncServer> {
  return startSyncServer({ host: '127.0.0.1', port: 0, db: file, schema: TEST_SCHEMA, logger: 'silent', permit: () => (refusing() ? 'refused by the fault schedule' : null) });
}
