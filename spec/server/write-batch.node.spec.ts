/**
 * The SQLite write path batched per frame (issue 12): a frame's change_log rows and row versions
 * are written at the end of its transaction (storage/sqlite-log.ts), and the dedupe is answered
 * by one lookup up front plus what the frame itself logged. These specs pin that the result is
 * what one statement per change wrote: same acks, same log rows in LSN order, the last change of
 * each row as its version, and nothing at all when the database fails at the end of the frame.
 * Also: the one-stringify fast path of the broadcast and ack frames gives the chunked frames.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parseSchema, type ClientChange, type ServerChange } from '../../lib/protocol/index.js';
import { LogStore } from '../../server/store.js';
import { chunkByBytes, chunkFrames, jsonFrames, serverChangesFrames } from '../../server/frames.js';
import { SCHEMA, tempDir, todo } from './helpers.js';

describe('server: one frame, batched writes (SQLite)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: LogStore;
  let db: Database.Database;
  beforeEach(() => {
    tmp = tempDir();
    const file = join(tmp.dir, 'w.sqlite');
    store = LogStore.open({ file, schema: parseSchema(SCHEMA), now: () => 1000 });
    db = new Database(file);
  });
  afterEach(() => {
    db.close();
    store.close();
    tmp.cleanup();
  });

  const log = () => db.prepare('SELECT lsn, change_id, client_id, entity_id, op, data FROM change_log ORDER BY lsn').all() as { lsn: number; change_id: string; client_id: string; entity_id: string; op: string; data: string | null }[];
  const version = (id: string) => db.prepare("SELECT lsn, change_id, op FROM rsw_row_versions WHERE entity = 'todos' AND entity_id = ?").get(id);

  it('dedupes, rejects and applies over several statement runs exactly as change by change', () => {
    const first = Array.from({ length: 70 }, (_, i) => todo(`A${i}`, `a${i}`, 'one'));
    store.applyChanges('c1', first);
    const frame: ClientChange[] = [];
    for (let i = 0; i < 200; i++) frame.push(todo(`B${i}`, `b${i}`, `t${i}`));
    frame[3] = todo('B-dup', 'dup', 'first');
    frame[150] = todo('B-dup', 'dup', 'second'); // a duplicate of position 3, not applied
    frame[5] = first[5]!; // already logged by the first frame
    frame[130] = first[66]!;
    frame[10] = { change_id: 'B-bad', entity: 'nope', entity_id: 'x', op: 'insert', data: { id: 'x' } }; // rejected: unknown table
    frame[100] = todo('B-bad', 'bad-later', 'fine'); // the same change_id, valid now: applies
    frame[20] = todo('R1', 'r', 'v1');
    frame[90] = { change_id: 'R2', entity: 'todos', entity_id: 'r', op: 'update', data: { title: 'v2' } };
    frame[180] = { change_id: 'R3', entity: 'todos', entity_id: 'r', op: 'delete', data: null };
    const out = store.applyChanges('c1', frame);

    // The reference: one change at a time, in frame order.
    const expectedLog: { change_id: string; entity_id: string }[] = [];
    const seen = new Map<string, number>(first.map((c, i) => [c.change_id, i + 1]));
    const acks = frame.map((c) => {
      if (seen.has(c.change_id)) return { change_id: c.change_id, status: 'duplicate', lsn: seen.get(c.change_id) };
      if (c.entity === 'nope') return { change_id: c.change_id, status: 'rejected' };
      const lsn = 70 + expectedLog.length + 1;
      seen.set(c.change_id, lsn);
      expectedLog.push({ change_id: c.change_id, entity_id: c.entity_id });
      return { change_id: c.change_id, status: 'applied', lsn };
    });
    expect(out.acks.map((a) => ({ change_id: a.change_id, status: a.status, ...(a.status !== 'rejected' && { lsn: a.lsn }) }))).toEqual(acks as never);
    expect(out.prevLsn).toBe(70);
    expect(store.lsn()).toBe(70 + expectedLog.length);
    expect(out.committed.map((c) => c.lsn)).toEqual(expectedLog.map((_, i) => 71 + i));

    const rows = log().slice(70);
    expect(rows.map((r) => ({ change_id: r.change_id, entity_id: r.entity_id }))).toEqual(expectedLog);
    expect(rows.every((r) => r.client_id === 'c1')).toBeTrue();
    expect(rows.find((r) => r.change_id === 'R3')).toEqual(jasmine.objectContaining({ op: 'delete', data: null }));
    expect(JSON.parse(rows.find((r) => r.change_id === 'B-dup')!.data!)).toEqual({ id: 'dup', title: 'first', done: 0 });

    // Each row's version is its LAST change of the frame (r: inserted, updated, then deleted).
    const lsnOf = (id: string) => seen.get(id)!;
    expect(version('r')).toEqual({ lsn: lsnOf('R3'), change_id: 'R3', op: 'delete' });
    expect(version('dup')).toEqual({ lsn: lsnOf('B-dup'), change_id: 'B-dup', op: 'insert' });
    expect(version('b199')).toEqual({ lsn: lsnOf('B199'), change_id: 'B199', op: 'insert' });
    expect(version('a5')).toEqual({ lsn: 6, change_id: 'A5', op: 'insert' }); // a duplicate writes no version
    expect(store.currentRow('todos', 'r')).toBeNull();
    expect(store.currentRow('todos', 'bad-later')).toEqual({ id: 'bad-later', title: 'fine', done: 0 });

    // Another client's change with the same change_id is a different change.
    expect(store.applyChanges('c2', [todo('A5', 'a5', 'two')]).acks).toEqual([{ change_id: 'A5', status: 'applied', lsn: store.lsn() }]);
  });

  it('writes nothing of a frame whose log rows fail at the end of it, and numbers on gap-free', () => {
    store.applyChanges('c1', [todo('x0', 'x0', 'before')]);
    db.exec("CREATE TRIGGER boom BEFORE INSERT ON change_log WHEN new.change_id = 'boom' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
    const frame = [todo('x1', 'x1', 'a'), todo('x2', 'x0', 'changed'), todo('boom', 'x3', 'c'), todo('x4', 'x4', 'd')];
    expect(() => store.applyChanges('c1', frame)).toThrowError(/disk on fire/);
    expect(store.lsn()).toBe(1);
    expect(log().map((r) => r.change_id)).toEqual(['x0']);
    expect(store.currentRow('todos', 'x1')).toBeNull();
    expect(store.currentRow('todos', 'x0')).toEqual({ id: 'x0', title: 'before', done: 0 });
    expect(version('x1')).toBeUndefined();
    db.exec('DROP TRIGGER boom');
    expect(store.applyChanges('c1', frame).acks.map((a) => (a.status === 'rejected' ? null : a.lsn))).toEqual([2, 3, 4, 5]);
    expect(version('x0')).toEqual({ lsn: 3, change_id: 'x2', op: 'insert' });
  });
});

describe('server: frames serialised in one go when they fit', () => {
  const change = (lsn: number, title: string): ServerChange => ({ lsn, change_id: `c${lsn}`, client_id: 'w', entity: 'todos', entity_id: `t${lsn}`, op: 'insert', data: { id: `t${lsn}`, title, done: 0 } });
  // The reference: one JSON.stringify per item, chunked by bytes.
  const reference = (prev: number, committed: ServerChange[], maxBytes: number) => {
    let at = 0;
    return chunkByBytes(committed.map((c) => JSON.stringify(c)), maxBytes).map((run) => {
      const from = at === 0 ? prev : committed[at - 1]!.lsn;
      at += run.length;
      return `{"type":"server_changes","prev_lsn":${from},"lsn":${committed[at - 1]!.lsn},"changes":[${run.join(',')}]}`;
    });
  };

  it('gives the same frames as item by item, at and around the byte budget (multi-byte text too)', () => {
    const committed = Array.from({ length: 40 }, (_, i) => change(i + 1, i % 3 === 0 ? 'é€😀'.repeat(i) : 'plain'));
    const bytes = Buffer.byteLength(JSON.stringify(committed)) - 1; // what one run of all of them counts
    for (const maxBytes of [bytes + 5, bytes, bytes - 1, Math.floor(bytes / 3), 300, 1]) {
      const got = serverChangesFrames(7, committed, maxBytes);
      expect(got).withContext(`budget ${maxBytes}`).toEqual(reference(7, committed, maxBytes));
      expect(got.length === 1).withContext(`budget ${maxBytes}`).toBe(maxBytes >= bytes);
    }
    expect(serverChangesFrames(7, [], 100)).toEqual([]);
  });

  it('serialises ack frames as chunkFrames does', () => {
    const acks = Array.from({ length: 30 }, (_, i) => ({ change_id: `ü${i}`, status: 'applied', lsn: i + 1 }));
    const bytes = Buffer.byteLength(JSON.stringify(acks)) - 1;
    for (const maxBytes of [bytes, bytes - 1, 100]) {
      expect(jsonFrames('{"acks":[', acks, ']}', maxBytes)).toEqual(chunkFrames('{"acks":[', acks.map((a) => JSON.stringify(a)), ']}', maxBytes));
    }
    expect(jsonFrames('{"acks":[', [], ']}', 100)).toEqual([]);
  });
});
