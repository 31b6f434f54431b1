/**
 * The access-filtered fan-out over a mirror of the tables (the PostgreSQL arrangement: real
 * AccessControl, real TableMirror, connections that record what they are sent), where the row
 * this node read after a commit is not the row that commit left: commits made elsewhere
 * (`broadcastForeign`: the row before is the mirror's, what the connections were last told) and
 * a local commit whose row was changed again elsewhere before the mirror read it (the change as
 * committed must not reach a connection that could not read the row right after it).
 */
import { parseSchema, type Row, type ServerChange } from '../../../lib/protocol/index.js';
import { AccessControl } from '../../../server/access/access-control.js';
import { TableMirror } from '../../../server/access/mirror.js';
import type { AccessRules } from '../../../server/access/types.js';
import type { WriteCapture } from '../../../server/access/writes.js';
import { createLogger } from '../../../server/logger.js';

const SCHEMA = parseSchema({ items: { primaryKey: 'id', columns: { id: 'TEXT', team: 'TEXT', text: 'TEXT' } } });
const RULES: AccessRules = {
  scopes: (user) => (user.claims['teams'] as string[]).map((t) => 'team:' + t),
  rowScopes: { items: (row) => ['team:' + String(row['team'])] },
};

/** A connection that keeps the frames it is sent. */
class Peer {
  readonly frames: { type: string; prev_lsn?: number; lsn?: number; changes: ServerChange[] }[] = [];
  sendRaw(frame: string | Buffer): void {
    this.frames.push(JSON.parse(frame.toString()) as Peer['frames'][number]);
  }
  bufferedAmount(): number {
    return 0;
  }
  changes(): ServerChange[] {
    return this.frames.filter((f) => f.type === 'server_changes').flatMap((f) => f.changes);
  }
}

describe('access fan-out over a mirror: rows read after a commit that are not the rows it left', () => {
  let mirror: TableMirror;
  let db: Map<string, Row | null>;
  let access: AccessControl;
  const peers: Record<string, Peer> = {};

  const change = (lsn: number, id: string, op: ServerChange['op'], data: Row | null, client_id = 'elsewhere'): ServerChange => ({ lsn, change_id: `c${lsn}`, client_id, entity: 'items', entity_id: id, op, data });
  const attach = async (name: string, teams: string[], lsn: number) => {
    const peer = new Peer();
    const user = { sub: name, claims: { teams } };
    const identity = { clientId: `${name}-1`, sub: name, expMs: null, claims: user.claims, known: null };
    access.attach(peer, identity, await access.evaluate(user), lsn, { scopes: teams.map((t) => 'team:' + t), last_lsn: lsn }, { pageMaxBytes: 1 << 20, pauseBufferedBytes: 1 << 20 });
    peers[name] = peer;
  };

  beforeEach(async () => {
    // `db` is the database: what a refresh of the mirror reads.
    db = new Map([['i1', { id: 'i1', team: 't1', text: 'one' }]]);
    mirror = await TableMirror.load(SCHEMA, async () => [...db.values()].filter((r): r is Row => r !== null));
    const pages = { readPage: () => ({ changesJson: [], lsn: 0, complete: true }), currentRow: (_e: string, id: string) => db.get(id) ?? null };
    const refresh = async (committed: readonly ServerChange[]) => {
      for (const c of committed) mirror.set('items', c.entity_id, db.get(c.entity_id) ?? null);
    };
    access = new AccessControl(RULES, { rows: mirror, pages, refresh }, SCHEMA, ':memory:', createLogger('error', () => undefined));
    await attach('t1', ['t1'], 1);
    await attach('t2', ['t2'], 1);
    await attach('t3', ['t3'], 1);
  });
  afterEach(() => access.close());

  it('a commit made elsewhere that moves a row: a delete to who could read it, the whole row to who may read it now, nothing to others', async () => {
    db.set('i1', { id: 'i1', team: 't2', text: 'one' });
    await access.broadcastForeign(1, [change(2, 'i1', 'update', { team: 't2' })], 1 << 20);
    expect(peers['t1']!.frames).toEqual([{ type: 'server_changes', prev_lsn: 1, lsn: 2, changes: [{ lsn: 2, change_id: '~2', client_id: '~server', entity: 'items', entity_id: 'i1', op: 'delete', data: null }] }]);
    expect(peers['t2']!.frames).toEqual([{ type: 'server_changes', prev_lsn: 1, lsn: 2, changes: [{ lsn: 2, change_id: '~2', client_id: '~server', entity: 'items', entity_id: 'i1', op: 'insert', data: { id: 'i1', team: 't2', text: 'one' } }] }]);
    expect(peers['t3']!.frames).toEqual([]);
    // Told once: the next batch starts from the row as moved.
    db.set('i1', { id: 'i1', team: 't2', text: 'two' });
    await access.broadcastForeign(2, [change(3, 'i1', 'update', { text: 'two' })], 1 << 20);
    expect(peers['t1']!.frames.length).toBe(1);
    expect(peers['t2']!.frames[1]).toEqual({ type: 'server_changes', prev_lsn: 2, lsn: 3, changes: [jasmine.objectContaining({ op: 'insert', data: { id: 'i1', team: 't2', text: 'two' } })] });
  });

  it('several changes of a row in one batch: one view, the row as it is now (never a value from when it was out of a scope)', async () => {
    db.set('i1', { id: 'i1', team: 't1', text: 'public again' });
    await access.broadcastForeign(1, [change(2, 'i1', 'update', { team: 't2', text: 't2 secret' }), change(3, 'i1', 'update', { team: 't1', text: 'public again' })], 1 << 20);
    expect(peers['t1']!.changes()).toEqual([{ lsn: 3, change_id: '~3', client_id: '~server', entity: 'items', entity_id: 'i1', op: 'insert', data: { id: 'i1', team: 't1', text: 'public again' } }]);
    expect(peers['t2']!.frames).toEqual([]);
    expect(JSON.stringify(peers['t1']!.frames)).not.toContain('t2 secret');
  });

  it('a connection welcomed after a relayed LSN does not get it again (its catch-up has it)', async () => {
    await attach('late', ['t1'], 2);
    db.set('i1', { id: 'i1', team: 't1', text: 'v2' });
    db.set('i2', { id: 'i2', team: 't1', text: 'new' });
    await access.broadcastForeign(1, [change(2, 'i1', 'update', { text: 'v2' }), change(3, 'i2', 'insert', { id: 'i2', team: 't1', text: 'new' })], 1 << 20);
    expect(peers['late']!.frames).toEqual([{ type: 'server_changes', prev_lsn: 2, lsn: 3, changes: [jasmine.objectContaining({ lsn: 3, entity_id: 'i2', op: 'insert' })] }]);
    expect(peers['t1']!.changes().map((c) => c.entity_id)).toEqual(['i1', 'i2']);
  });

  it('a local commit whose row was changed again elsewhere before the mirror read it: the change as committed only to who could read the row right after it', async () => {
    // Local change 2 (t1 -> t2 with a t2-only text); commit 3, made elsewhere, moved it back to t1 before the mirror read it.
    db.set('i1', { id: 'i1', team: 't1', text: 'public again' });
    const capture: WriteCapture = { permit: () => null, before: new Map([['c2', { id: 'i1', team: 't1', text: 'one' }]]) };
    await access.broadcast(1, [change(2, 'i1', 'update', { team: 't2', text: 't2 secret' }, 'writer-1')], capture, 1 << 20);
    // t1 could read it before and can now, but not right after change 2: the row as read, never the change.
    expect(peers['t1']!.changes()).toEqual([{ lsn: 2, change_id: '~2', client_id: '~server', entity: 'items', entity_id: 'i1', op: 'insert', data: { id: 'i1', team: 't1', text: 'public again' } }]);
    expect(JSON.stringify(peers['t1']!.frames)).not.toContain('t2 secret');
    // Without a later commit in between, the change goes out as committed.
    db.set('i1', { id: 'i1', team: 't1', text: 'edited' });
    const capture2: WriteCapture = { permit: () => null, before: new Map([['c3', { id: 'i1', team: 't1', text: 'public again' }]]) };
    await access.broadcast(2, [change(3, 'i1', 'update', { text: 'edited' }, 'writer-1')], capture2, 1 << 20);
    expect(peers['t1']!.changes()[1]).toEqual({ lsn: 3, change_id: '~3', client_id: '~server', entity: 'items', entity_id: 'i1', op: 'update', data: { text: 'edited' } });
  });
});
