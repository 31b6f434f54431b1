/**
 * The hub: owns the store, the limits and the set of handshaken connections, and fans a
 * committed batch out to all of them. A broadcast frame is serialised ONCE, turned into one
 * Buffer, and that same Buffer is sent to every client.
 */
import type { WebSocket } from 'ws';
import { ClientConnection } from './connection.js';
import type { Limits } from './limits.js';
import type { Logger } from './logger.js';
import type { SchemaVersions } from './schema-versions.js';
import type { LogStore, PermitFn } from './store.js';

/** The settings of a hub, shared by all its connections. */
export interface HubSettings {
  readonly store: LogStore;
  readonly limits: Readonly<Limits>;
  readonly logger: Logger;
  /** Clock, ms since the epoch (token expiry, rate limit). */
  readonly now: () => number;
  /** HMAC secret; null = open server. */
  readonly secret: string | null;
  /** Permission check for each change; null = everything allowed. */
  readonly permit: PermitFn | null;
  /** Largest catch-up page. */
  readonly pageSize: number;
  /** App schema versions served (see schema-versions.ts). Absent: every client is taken to have the newest schema. */
  readonly schemas?: SchemaVersions;
}

/** What a connection needs from its server. */
export interface HubContext {
  readonly settings: HubSettings;
  /** Start receiving broadcasts (after a good hello). */
  join(conn: ClientConnection): void;
  /** Stop receiving broadcasts (on close). */
  leave(conn: ClientConnection): void;
  /** Send one serialised frame to every handshaken client, the sender included. */
  broadcast(frame: string): void;
}

/** Connections and broadcast. */
export class SyncHub implements HubContext {
  private readonly all = new Set<ClientConnection>();
  private readonly ready = new Set<ClientConnection>();

  constructor(readonly settings: HubSettings) {}

  /** Serve a newly accepted socket. */
  accept(ws: WebSocket, peer: string): void {
    this.all.add(new ClientConnection(ws, this, peer));
  }

  join(conn: ClientConnection): void {
    this.ready.add(conn);
  }

  leave(conn: ClientConnection): void {
    this.ready.delete(conn);
    this.all.delete(conn);
  }

  broadcast(frame: string): void {
    const bytes = Buffer.from(frame, 'utf8');
    for (const conn of this.ready) conn.sendRaw(bytes);
  }

  /** How many clients are handshaken. */
  readyCount(): number {
    return this.ready.size;
  }

  /** Close every connection (server stopping). */
  closeAll(code: number, reason: string): void {
    for (const conn of this.all) conn.close(code, reason);
  }
}
