/**
 * Access control of a running server: each connection's scopes (evaluated at hello, and again
 * after a commit that touched a table its `scopes()` read), the scope index, filtered broadcasts
 * (one chain of `prev_lsn` per connection, so a change it may not see leaves no gap for it),
 * filtered catch-up pages, the permission check with the current row and filtered rejections.
 */
import type { Row, SchemaDeclaration, ServerChange } from '../../lib/protocol/index.js';
import type { Identity } from '../handshake.js';
import type { Logger } from '../logger.js';
import type { LogStore } from '../store.js';
import { chunkByBytes } from '../frames.js';
import { filteredPage } from './pages.js';
import { readAccess } from './read-access.js';
import { ScopeIndex } from './scope-index.js';
import { ScopeLog } from './scope-log.js';
import type { AccessRules, AccessUser, ReadAccess } from './types.js';
import { ChangeViews, type ScopedChange } from './views.js';
import { visibleRow, writeCapture, type RowScopesOf, type WriteCapture } from './writes.js';

/** What access control needs of a connection. */
export interface AccessPeer {
  /** Send an already-serialised frame. */
  sendRaw(frame: string | Buffer): void;
}

/** A connection's access state. */
export interface PeerAccess {
  readonly user: AccessUser;
  readonly clientId: string;
  scopes: Set<string>;
  /** Tables its `scopes()` read: a commit touching one of them evaluates its scopes again. */
  reads: Set<string>;
  /** LSN of the last frame of the live stream sent to it (the next one's `prev_lsn`). */
  lastSent: number;
}

/** The store operations access control uses (LogStore has them). */
export type AccessStore = Pick<LogStore, 'currentRow' | 'rowsWhere' | 'readPage' | 'scanRows' | 'lsn'>;

/** Evaluated scopes of a user, with the tables read to compute them. */
export interface EvaluatedScopes {
  scopes: Set<string>;
  reads: Set<string>;
}

/** Access control of one server. */
export class AccessControl {
  readonly read: ReadAccess;
  readonly scopesOf: RowScopesOf;
  private readonly peers = new Map<AccessPeer, PeerAccess>();
  private readonly index = new ScopeIndex<AccessPeer>();
  private readonly log: ScopeLog;

  constructor(
    readonly rules: AccessRules,
    private readonly store: AccessStore,
    readonly schema: SchemaDeclaration,
    dbFile: string,
    private readonly logger: Logger,
  ) {
    this.read = readAccess(store);
    this.log = new ScopeLog(dbFile);
    this.scopesOf = (table, row) => {
      const fn = Object.prototype.hasOwnProperty.call(rules.rowScopes, table) ? rules.rowScopes[table] : undefined;
      return fn ? fn(row, this.read) : [];
    };
  }

  /** The user a handshaken identity is to the rules (open server: sub `''`). */
  static userOf(identity: Pick<Identity, 'sub' | 'claims'>): AccessUser {
    return { sub: identity.sub ?? '', claims: identity.claims };
  }

  /** Evaluate `scopes()` for a user, recording which tables it read. */
  async evaluate(user: AccessUser): Promise<EvaluatedScopes> {
    const reads = new Set<string>();
    const list = await this.rules.scopes(user, readAccess(this.store, (t) => reads.add(t)));
    if (!Array.isArray(list)) throw new TypeError('access.scopes() must return an array of strings');
    return { scopes: new Set(list.map(String)), reads };
  }

  /** Start filtering for a connection that was just welcomed at `lsn`. */
  attach(peer: AccessPeer, identity: Identity, evaluated: EvaluatedScopes, lsn: number): PeerAccess {
    const state: PeerAccess = { user: AccessControl.userOf(identity), clientId: identity.clientId, ...evaluated, lastSent: lsn };
    this.detach(peer);
    this.peers.set(peer, state);
    this.index.add(peer, state.scopes);
    return state;
  }

  /** Stop filtering for a connection (closing). */
  detach(peer: AccessPeer): void {
    const state = this.peers.get(peer);
    if (!state) return;
    this.index.remove(peer, state.scopes);
    this.peers.delete(peer);
  }

  /** The access state of a connection (null when not attached). */
  state(peer: AccessPeer): PeerAccess | null {
    return this.peers.get(peer) ?? null;
  }

  /** The permission check for one frame of `peer` (it records each row before its change). */
  capture(peer: AccessPeer): WriteCapture | null {
    const state = this.peers.get(peer);
    return state ? writeCapture(this.rules, state.user, state.scopes, this.scopesOf, this.read) : null;
  }

  /** What a rejected ack of `peer` shows of the current row. */
  rejectedRow(peer: AccessPeer, table: string, row: Row | null): Row | null {
    const state = this.peers.get(peer);
    return state ? visibleRow(table, row, state.scopes, this.scopesOf) : null;
  }

  /** A filtered `sync_response` frame for `peer`. */
  pageFrame(peer: AccessPeer, from: number, limit: number, maxBytes: number): string {
    const state = this.peers.get(peer);
    const page = filteredPage(this.store, this.log, this.scopesOf, state?.scopes ?? new Set(), from, limit, maxBytes);
    return `{"type":"sync_response","from_lsn":${from},"lsn":${page.lsn},"changes":[${page.changesJson.join(',')}],"complete":${page.complete}}`;
  }

  /**
   * Fan changes just committed out to the attached connections, each getting only what it may
   * see. `capture` holds the rows before each change (null: unknown, e.g. a commit made
   * elsewhere; a row that left a scope then reaches nobody as a delete).
   */
  async broadcast(prevLsn: number, committed: readonly ServerChange[], capture: WriteCapture | null, maxBytes: number): Promise<void> {
    const scoped = this.scope(committed, capture);
    this.log.record(scoped.map((s) => [s.change.lsn, [...new Set([...s.before, ...s.after])]] as const));
    await this.rescope(committed);
    const views = scoped.map((s) => new ChangeViews(s));
    const reached = new Set<AccessPeer>();
    for (const s of scoped) {
      this.index.holders(s.before, reached);
      this.index.holders(s.after, reached);
    }
    const lastLsn = committed.length > 0 ? committed[committed.length - 1]!.lsn : prevLsn;
    for (const peer of reached) {
      const state = this.peers.get(peer);
      if (!state) continue;
      const items: string[] = [];
      const lsns: number[] = [];
      for (const v of views) {
        const json = v.jsonFor(state.scopes, state.clientId);
        if (json === null) continue;
        items.push(json);
        lsns.push(v.scoped.change.lsn);
      }
      if (items.length === 0) continue;
      let i = 0;
      const runs = chunkByBytes(items, maxBytes);
      runs.forEach((run, r) => {
        i += run.length;
        const lsn = r === runs.length - 1 ? lastLsn : lsns[i - 1]!;
        peer.sendRaw(`{"type":"server_changes","prev_lsn":${state.lastSent},"lsn":${lsn},"changes":[${run.join(',')}]}`);
        state.lastSent = lsn;
      });
    }
  }

  /** Scopes before and after each change; the row after a change is the row before the next one on it, or the current row. */
  private scope(committed: readonly ServerChange[], capture: WriteCapture | null): ScopedChange[] {
    const out: ScopedChange[] = new Array(committed.length);
    const nextBefore = new Map<string, Row | null>();
    for (let i = committed.length - 1; i >= 0; i--) {
      const change = committed[i]!;
      const key = `${change.entity}\u0000${change.entity_id}`;
      const afterRow = nextBefore.has(key) ? nextBefore.get(key)! : this.store.currentRow(change.entity, change.entity_id);
      const beforeRow = capture?.before.get(change.change_id) ?? null;
      nextBefore.set(key, beforeRow);
      out[i] = {
        change,
        before: beforeRow === null ? [] : this.scopesOf(change.entity, beforeRow),
        after: afterRow === null ? [] : this.scopesOf(change.entity, afterRow),
        afterRow,
      };
    }
    return out;
  }

  /** Evaluate again the scopes of connections whose `scopes()` read a table these changes touched. */
  private async rescope(committed: readonly ServerChange[]): Promise<void> {
    const tables = new Set(committed.map((c) => c.entity));
    for (const [peer, state] of [...this.peers]) {
      if (![...state.reads].some((t) => tables.has(t))) continue;
      let next: EvaluatedScopes;
      try {
        next = await this.evaluate(state.user);
      } catch (e) {
        this.logger.error('access.scopes() failed: the connection keeps its scopes', { client_id: state.clientId, error: (e as Error).message });
        continue;
      }
      if (this.peers.get(peer) !== state) continue;
      this.index.remove(peer, state.scopes);
      state.scopes = next.scopes;
      state.reads = next.reads;
      this.index.add(peer, state.scopes);
    }
  }

  /** Close the scope log. */
  close(): void {
    this.log.close();
  }
}

