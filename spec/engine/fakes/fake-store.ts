/**
 * An in-memory EngineStore for marble specs: the same contract as lib/store (ports.ts), kept
 * small. Rows live in Maps; `failNextApplies(n)` makes the next n applyServerBatch calls throw
 * (after a partial write, which is rolled back) to show the engine's rollback/retry handling.
 */
import type { ApplyResult, EngineStore, FetchedRowRef, LocalChange, QuarantineOutcome, ScopePatchBatch, ServerBatch } from '../../../lib/engine/ports.js';
import type { SyncError } from '../../../lib/errors.js';
import type { ChangeRequest, Row } from '../../../lib/protocol/index.js';

interface Snapshot {
  rows: Map<string, Map<string, Row>>;
  changes: LocalChange[];
  lsn: number;
}

export class FakeStore implements EngineStore {
  private state: Snapshot = { rows: new Map(), changes: [], lsn: 0 };
  private nextSeq = 1;
  private failures = 0;
  private scopes: string[] | null = null;
  private server: string | null = null;
  private toFetch: { entity: string; id: string }[] = [];
  /** Quarantined server changes (change_id, error). */
  readonly quarantined: { change_id: string; error: string }[] = [];
  /** Every applyServerBatch call (also the ones that threw), for assertions. */
  readonly applyCalls: ServerBatch[] = [];

  constructor(private readonly id = 'client-1') {}

  failNextApplies(n: number): void {
    this.failures = n;
  }
  clientId(): string {
    return this.id;
  }
  getLsn(): number {
    return this.state.lsn;
  }
  /** The row as the app sees it (undefined: no row). */
  row(entity: string, id: string): Row | undefined {
    return this.state.rows.get(entity)?.get(id);
  }
  /** Every local_changes row. */
  all(): LocalChange[] {
    return this.state.changes.map((c) => ({ ...c }));
  }
  change(change_id: string): LocalChange | undefined {
    return this.state.changes.find((c) => c.change_id === change_id);
  }
  recordLocalChanges(changes: readonly ChangeRequest[], now: number): LocalChange[] {
    const out = changes.map((c): LocalChange => {
      const seq = this.nextSeq++;
      const lc: LocalChange = {
        seq, change_id: `${this.id}-${seq}`, origin: 'local', entity: c.entity, entity_id: c.entity_id, op: c.op, data: c.data,
        lsn: null, processed_local: 1, processed_sync: 0, status: 'pending', attempts: 0, last_error: null, created_at: now, updated_at: now,
      };
      this.state.changes.push(lc);
      writeRow(this.state.rows, lc.entity, lc.entity_id, lc.op, lc.data);
      return { ...lc };
    });
    return out;
  }
  whenDurable(): Promise<void> {
    return Promise.resolve();
  }
  pendingChanges(limit = Infinity): LocalChange[] {
    return this.state.changes.filter(isPending).slice(0, limit).map((c) => ({ ...c }));
  }
  failedChanges(limit = Infinity): LocalChange[] {
    return this.state.changes.filter((c) => c.status === 'failed').reverse().slice(0, limit).map((c) => ({ ...c }));
  }
  counts(): { pending: number; failed: number } {
    return { pending: this.state.changes.filter(isPending).length, failed: this.state.changes.filter((c) => c.status === 'failed').length };
  }
  markSynced(acks: readonly { change_id: string; lsn: number }[], now: number): void {
    for (const a of acks) {
      const c = this.change(a.change_id);
      if (c && c.status === 'pending') Object.assign(c, { status: 'synced', processed_sync: 1, lsn: a.lsn, updated_at: now });
    }
  }
  recordAttempt(change_id: string, attempts: number, error: string, now: number): void {
    const c = this.change(change_id);
    if (c) Object.assign(c, { attempts, last_error: error, updated_at: now });
  }
  markFailed(change_id: string, error: string, attempts: number, now: number, serverRow?: Row | null): void {
    const c = this.change(change_id);
    if (!c) return;
    Object.assign(c, { status: 'failed', attempts, last_error: error, updated_at: now });
    if (serverRow === undefined) return;
    writeRow(this.state.rows, c.entity, c.entity_id, serverRow === null ? 'delete' : 'insert', serverRow);
    this.reapplyPending(c.entity, c.entity_id);
  }
  applyScopePatch(patch: ScopePatchBatch, _now: number): ApplyResult {
    for (const c of patch.changes) {
      writeRow(this.state.rows, c.entity, c.entity_id, c.op, c.data);
      this.reapplyPending(c.entity, c.entity_id);
    }
    if (patch.scopes !== undefined) this.scopes = [...patch.scopes];
    return { entities: [...new Set(patch.changes.map((c) => c.entity))], echoed: [], applied: patch.changes.length };
  }
  replicaScopes(): string[] | null {
    return this.scopes;
  }
  applyServerBatch(batch: ServerBatch, now: number): ApplyResult {
    this.applyCalls.push(batch);
    const saved = cloneSnapshot(this.state);
    try {
      const result: ApplyResult = { entities: [], echoed: [], applied: 0 };
      const touched = new Set<string>();
      for (const sc of batch.changes) {
        const own = sc.client_id === this.id ? this.change(sc.change_id) : undefined;
        if (own) {
          // Echo: our own change came back; mark it synced, do not apply it again.
          Object.assign(own, { status: 'synced', processed_sync: 1, lsn: sc.lsn, updated_at: now });
          result.echoed.push(sc.change_id);
          continue;
        }
        this.state.changes.push({
          seq: this.nextSeq++, change_id: sc.change_id, origin: 'server', entity: sc.entity, entity_id: sc.entity_id, op: sc.op, data: sc.data,
          lsn: sc.lsn, processed_local: 1, processed_sync: 1, status: 'synced', attempts: 0, last_error: null, created_at: now, updated_at: now,
        });
        writeRow(this.state.rows, sc.entity, sc.entity_id, sc.op, sc.data);
        touched.add(`${sc.entity}\u0000${sc.entity_id}`);
        if (!result.entities.includes(sc.entity)) result.entities.push(sc.entity);
        result.applied++;
        if (this.failures > 0) {
          this.failures--;
          throw new Error('disk I/O error (injected)');
        }
      }
      for (const key of touched) {
        const [entity, id] = key.split('\u0000') as [string, string];
        this.reapplyPending(entity, id);
      }
      this.state.lsn = batch.lsn;
      return result;
    } catch (e) {
      this.state = saved; // roll back everything
      throw e;
    }
  }
  serverId(): string | null {
    return this.server;
  }
  setServerId(id: string): void {
    this.server = id;
  }
  resetForServer(serverId: string): number {
    this.state.changes = this.state.changes.filter((c) => c.origin === 'local' && c.status !== 'synced');
    this.state.rows = new Map();
    for (const c of this.state.changes) if (isPending(c)) writeRow(this.state.rows, c.entity, c.entity_id, c.op, c.data);
    this.state.lsn = 0;
    this.server = serverId;
    this.toFetch = [];
    return this.state.changes.filter(isPending).length;
  }
  applyServerBatchQuarantining(batch: ServerBatch, now: number): QuarantineOutcome {
    const out: QuarantineOutcome = { entities: [], echoed: [], applied: 0, quarantined: [] };
    const from = this.state.lsn;
    for (const c of batch.changes) {
      if (c.lsn <= from) continue;
      try {
        if (c.lsn > batch.lsn) throw new Error(`change lsn ${c.lsn} is above its batch lsn ${batch.lsn}`);
        const r = this.applyServerBatch({ prev_lsn: batch.prev_lsn, lsn: batch.lsn, changes: [c] }, now);
        this.state.lsn = from;
        out.applied += r.applied;
        out.echoed.push(...r.echoed);
        for (const e of r.entities) if (!out.entities.includes(e)) out.entities.push(e);
      } catch (e) {
        const error = (e as Error).message;
        this.quarantined.push({ change_id: c.change_id, error });
        out.quarantined.push({ lsn: c.lsn, change_id: c.change_id, entity: c.entity, entity_id: c.entity_id, error });
        this.toFetch.push({ entity: c.entity, id: c.entity_id });
      }
    }
    this.state.lsn = batch.lsn;
    return out;
  }
  rowsToFetch(): { entity: string; id: string }[] {
    return [...this.toFetch];
  }
  applyFetchedRows(entity: string, rows: readonly FetchedRowRef[]): SyncError[] {
    for (const r of rows) {
      writeRow(this.state.rows, entity, r.id, r.row === null ? 'delete' : 'insert', r.row);
      this.reapplyPending(entity, r.id);
    }
    this.toFetch = this.toFetch.filter((f) => !(f.entity === entity && rows.some((r) => r.id === f.id)));
    return [];
  }
  query(): Record<string, unknown>[] {
    return [];
  }
  pruneHistory(): number {
    return 0;
  }
  resyncFrom(serverLsn: number): number {
    const lost = this.state.changes.filter((c) => c.origin === 'local' && c.status === 'synced' && (c.lsn ?? 0) > serverLsn);
    for (const c of lost) Object.assign(c, { status: 'pending', processed_sync: 0, lsn: null, attempts: 0 });
    this.state.lsn = serverLsn;
    return lost.length;
  }
  private reapplyPending(entity: string, id: string): void {
    for (const c of this.state.changes) {
      if (isPending(c) && c.entity === entity && c.entity_id === id) writeRow(this.state.rows, entity, id, c.op, c.data);
    }
  }
}

function isPending(c: LocalChange): boolean {
  return c.origin === 'local' && c.status === 'pending';
}

function writeRow(rows: Map<string, Map<string, Row>>, entity: string, id: string, op: string, data: Row | null): void {
  const table = rows.get(entity) ?? new Map<string, Row>();
  rows.set(entity, table);
  if (op === 'delete') table.delete(id);
  else if (op === 'insert') table.set(id, { ...(data ?? {}) });
  else table.set(id, { ...(table.get(id) ?? {}), ...(data ?? {}) });
}

function cloneSnapshot(s: Snapshot): Snapshot {
  const rows = new Map<string, Map<string, Row>>();
  for (const [k, t] of s.rows) rows.set(k, new Map([...t].map(([id, r]) => [id, { ...r }])));
  return { rows, changes: s.changes.map((c) => ({ ...c })), lsn: s.lsn };
}
