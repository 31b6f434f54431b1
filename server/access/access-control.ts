/**
 * Access control of a running server: each connection's scopes (evaluated at hello, and again
 * after a commit that touched a table its `scopes()` read), the scope index, filtered broadcasts
 * (one chain of `prev_lsn` per connection, so a change it may not see leaves no gap for it),
 * filtered catch-up pages, the permission check with the current row and filtered rejections.
 */
import { MAX_SCOPES, MAX_SCOPE_CHARS, isWellFormed, type Row, type SchemaDeclaration, type ServerChange } from '../../lib/protocol/index.js';
import type { Identity } from '../handshake.js';
import type { Logger } from '../logger.js';
import { chunkByBytes } from '../frames.js';
import { filteredPage, type PageSource } from './pages.js';
import type { RowSource } from './read-access.js';
import { patchStream, type RowScanner } from './patch.js';
import { PatchSender, type PatchPeer } from './patch-sender.js';
import { readAccess } from './read-access.js';
import { ScopeIndex } from './scope-index.js';
import { ScopeLog } from './scope-log.js';
import type { AccessRules, AccessUser, ReadAccess } from './types.js';
import { ChangeViews, type LiveView, type ScopedChange } from './views.js';
import { foreignViews, rowKey, type TouchedRow } from './foreign.js';
import { visibleRow, writeCapture, type RowScopesOf, type WriteCapture } from './writes.js';

/** What access control needs of a connection. */
export type AccessPeer = PatchPeer;

/** A connection's access state. */
export interface PeerAccess {
  readonly user: AccessUser;
  readonly clientId: string;
  scopes: Set<string>;
  /** Tables its `scopes()` read: a commit touching one of them evaluates its scopes again. */
  reads: Set<string>;
  /** LSN of the last frame of the live stream sent to it (the next one's `prev_lsn`). */
  lastSent: number;
  /** Its scope patch (sent as its output drains). */
  readonly patches: PatchSender;
}

/**
 * Where access control reads. `rows`: the current state, synchronously (rules, rows after a
 * commit, patch scans): the SQLite store itself, or a {@link TableMirror} of another backend.
 * `pages`: the log and current rows for catch-up (may answer asynchronously). `refresh`: called
 * with each commit's changes before anything reads `rows` (a mirror reads those rows again).
 */
export interface AccessSources {
  rows: RowSource & RowScanner;
  pages: PageSource;
  refresh?: (committed: readonly ServerChange[]) => Promise<void>;
}

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
    private readonly sources: AccessSources,
    readonly schema: SchemaDeclaration,
    dbFile: string,
    private readonly logger: Logger,
  ) {
    this.read = readAccess(sources.rows);
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
    const list = await this.rules.scopes(user, readAccess(this.sources.rows, (t) => reads.add(t)));
    if (!Array.isArray(list)) throw new TypeError('access.scopes() must return an array of strings');
    const scopes = new Set(list.map(String));
    // The client's codec bounds what a replica names (hello.scopes, scope_patch.scopes): say so here, not there.
    if (scopes.size > MAX_SCOPES) throw new RangeError(`access.scopes() gave ${scopes.size} scopes (at most ${MAX_SCOPES})`);
    for (const s of scopes) if (s.length > MAX_SCOPE_CHARS || !isWellFormed(s)) throw new RangeError(`access.scopes() gave a scope over ${MAX_SCOPE_CHARS} characters or not well-formed`);
    return { scopes, reads };
  }

  /**
   * Start filtering for a connection that was just welcomed at `lsn`, and bring its replica to its
   * scopes: `hello.scopes` is what the replica holds (absent: none recorded; a fresh replica at
   * LSN 0 then gets everything from catch-up, an older one a backfill of all its scopes).
   */
  attach(peer: AccessPeer, identity: Identity, evaluated: EvaluatedScopes, lsn: number, hello: { scopes?: readonly string[]; last_lsn: number }, limits: { pageMaxBytes: number; pauseBufferedBytes: number }): PeerAccess {
    const patches = new PatchSender(peer, { maxBytes: limits.pageMaxBytes, pauseBytes: limits.pauseBufferedBytes }, (had, now) => this.patchOf(had, now));
    const state: PeerAccess = { user: AccessControl.userOf(identity), clientId: identity.clientId, ...evaluated, lastSent: lsn, patches };
    this.detach(peer);
    this.peers.set(peer, state);
    this.index.add(peer, state.scopes);
    const had = hello.scopes !== undefined ? new Set(hello.scopes) : hello.last_lsn === 0 ? state.scopes : new Set<string>();
    if (hello.scopes === undefined || !sameSet(had, state.scopes)) patches.start(had, state.scopes);
    return state;
  }

  /** The rows of the scopes gained and the deletes of those lost, from `had` to `now` (patch.ts). */
  private patchOf(had: ReadonlySet<string>, now: ReadonlySet<string>): Iterator<string, void, undefined> {
    const tables = Object.keys(this.rules.rowScopes).filter((t) => Object.prototype.hasOwnProperty.call(this.schema, t));
    this.logger.debug('scope patch', { had: had.size, now: now.size });
    return patchStream(this.sources.rows, this.schema, tables, this.scopesOf, had, now);
  }

  /** Stop filtering for a connection (closing). */
  detach(peer: AccessPeer): void {
    const state = this.peers.get(peer);
    if (!state) return;
    state.patches.stop();
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
  async pageFrame(peer: AccessPeer, from: number, limit: number, maxBytes: number): Promise<string> {
    const state = this.peers.get(peer);
    const page = await filteredPage(this.sources.pages, this.log, this.scopesOf, state?.scopes ?? new Set(), from, limit, maxBytes);
    return `{"type":"sync_response","from_lsn":${from},"lsn":${page.lsn},"changes":[${page.changesJson.join(',')}],"complete":${page.complete}}`;
  }

  /**
   * Fan changes just committed out to the attached connections, each getting only what it may
   * see. `capture` holds the rows before each change (null: unknown; a row that left a scope then
   * reaches nobody as a delete: commits made elsewhere go through {@link broadcastForeign}).
   */
  async broadcast(prevLsn: number, committed: readonly ServerChange[], capture: WriteCapture | null, maxBytes: number): Promise<void> {
    if (this.sources.refresh) await this.sources.refresh(committed);
    const scoped = this.scope(committed, capture);
    this.log.record(scoped.map((s) => [s.change.lsn, [...new Set([...s.before, ...s.after, ...(s.exact ?? [])])]] as const));
    await this.fanOut(committed, scoped.map((s) => new ChangeViews(s)), prevLsn, maxBytes);
  }

  /**
   * Fan out changes committed by another node or written straight into the tables, from the log
   * (foreign.ts: per row touched, the row as it is now to who may read it now, a delete to who
   * could read it before). The rows before are the mirror's before it is refreshed, i.e. what
   * this node last told its connections; so it needs the mirror (`sources.refresh`): the SQLite
   * backend, the only one without, never has such commits.
   */
  async broadcastForeign(prevLsn: number, committed: readonly ServerChange[], maxBytes: number): Promise<void> {
    const { rows, refresh } = this.sources;
    if (!refresh) throw new Error('access control: commits made elsewhere need a mirror of the tables');
    const before = new Map<string, Row | null>();
    for (const c of committed) {
      const key = rowKey(c.entity, c.entity_id);
      if (!before.has(key)) before.set(key, rows.currentRow(c.entity, c.entity_id));
    }
    await refresh(committed);
    const touched = new Map<string, TouchedRow>();
    for (const c of committed) {
      const key = rowKey(c.entity, c.entity_id);
      if (!touched.has(key)) touched.set(key, { entity: c.entity, entityId: c.entity_id, before: before.get(key)!, now: rows.currentRow(c.entity, c.entity_id) });
    }
    const { views, record } = foreignViews(committed, touched, this.scopesOf);
    this.log.record(record);
    await this.fanOut(committed, views, prevLsn, maxBytes);
  }

  /** Scopes evaluated again, then each connection the views reach gets its frames (its own `prev_lsn` chain), then the scope patches. */
  private async fanOut(committed: readonly ServerChange[], views: readonly LiveView[], prevLsn: number, maxBytes: number): Promise<void> {
    const rescoped = await this.rescope(committed);
    const reached = new Set<AccessPeer>();
    for (const v of views) this.index.holders(v.touched, reached);
    const lastLsn = committed.length > 0 ? committed[committed.length - 1]!.lsn : prevLsn;
    for (const peer of reached) {
      const state = this.peers.get(peer);
      if (!state || state.lastSent >= lastLsn) continue;
      const items: string[] = [];
      const lsns: number[] = [];
      for (const v of views) {
        // A connection welcomed after these LSNs has them from its catch-up.
        if (v.lsn <= state.lastSent) continue;
        const json = v.jsonFor(state.scopes, state.clientId);
        if (json === null) continue;
        items.push(json);
        lsns.push(v.lsn);
      }
      if (items.length === 0) continue;
      let i = 0;
      const runs = chunkByBytes(items, maxBytes);
      runs.forEach((run, r) => {
        i += run.length;
        const lsn = r === runs.length - 1 ? lastLsn : lsns[i - 1]!;
        peer.sendRaw(`{"type":"server_changes","prev_lsn":${state.lastSent},"lsn":${lsn},"changes":[${run.join(',')}]}`, r > 0);
        state.lastSent = lsn;
      });
    }
    // After the frames of this commit: the rows of scopes gained or lost with it.
    for (const [peer, had] of rescoped) {
      const state = this.peers.get(peer);
      state?.patches.start(had, state.scopes);
    }
  }

  /** Scopes before and after each change; the row after a change is the row before the next one on it, or the current row. */
  private scope(committed: readonly ServerChange[], capture: WriteCapture | null): ScopedChange[] {
    const out: ScopedChange[] = new Array(committed.length);
    const nextBefore = new Map<string, Row | null>();
    for (let i = committed.length - 1; i >= 0; i--) {
      const change = committed[i]!;
      const key = `${change.entity}\u0000${change.entity_id}`;
      const afterRow = nextBefore.has(key) ? nextBefore.get(key)! : this.sources.rows.currentRow(change.entity, change.entity_id);
      const beforeRow = capture?.before.get(change.change_id) ?? null;
      // A mirror read after the commit may hold a later commit made elsewhere: say what THIS change left.
      const exact = this.sources.refresh && !nextBefore.has(key) && beforeRow !== null ? this.leftScopes(change, beforeRow) : undefined;
      nextBefore.set(key, beforeRow);
      out[i] = {
        change,
        before: beforeRow === null ? [] : this.scopesOf(change.entity, beforeRow),
        after: afterRow === null ? [] : this.scopesOf(change.entity, afterRow),
        afterRow,
        ...(exact !== undefined && { exact }),
      };
    }
    return out;
  }

  /** Scopes of the row a change left, from the row before it (a delete: none; a rule that throws on it: none, so no connection gets the change as committed). */
  private leftScopes(change: ServerChange, before: Row): readonly string[] {
    if (change.op === 'delete') return [];
    try {
      return this.scopesOf(change.entity, change.op === 'insert' ? (change.data ?? {}) : { ...before, ...change.data });
    } catch {
      return [];
    }
  }

  /**
   * Evaluate again the scopes of connections whose `scopes()` read a table these changes touched.
   * Returns the connections whose scopes changed, with the scopes they had.
   */
  private async rescope(committed: readonly ServerChange[]): Promise<Map<AccessPeer, Set<string>>> {
    const changed = new Map<AccessPeer, Set<string>>();
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
      if (!sameSet(state.scopes, next.scopes)) changed.set(peer, state.scopes);
      this.index.remove(peer, state.scopes);
      state.scopes = next.scopes;
      state.reads = next.reads;
      this.index.add(peer, state.scopes);
    }
    return changed;
  }

  /** Close the scope log. */
  close(): void {
    this.log.close();
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}
