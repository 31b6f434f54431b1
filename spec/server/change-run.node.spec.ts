/**
 * Runs on a real connection (server/change-run.ts, client-changes.ts), with a fake socket that
 * delivers frames in one tick as one TCP read does, and the SQLite store: client_change frames
 * that waited back to back are written together, each still acked on its own and in order, then
 * broadcast once; any other frame ends the run and is answered in its place; a frame over the
 * change limit is refused on its own; and the token bucket lets a frame join only while it is
 * not in debt, so a run serves no more frames than one-at-a-time handling did before it waits.
 */
import type { WebSocket } from 'ws';
import { parseSchema } from '../../lib/protocol/index.js';
import { SyncHub } from '../../server/hub.js';
import { createLogger } from '../../server/index.js';
import { DEFAULT_LIMITS, type Limits } from '../../server/limits.js';
import { LogStore } from '../../server/store.js';
import { SqliteStorage } from '../../server/storage/sqlite.js';
import { FakeSocket } from './fake-socket.js';
import { SCHEMA, todo } from './helpers.js';

const hello = { type: 'hello', protocol: 1, client_id: 'w', last_lsn: 0 };
const cc = (...ids: string[]) => ({ type: 'client_change', changes: ids.map((id) => todo(id, id, 'x')) });

function serve(limits: Partial<Limits> = {}) {
  const store = LogStore.open({ file: ':memory:', schema: parseSchema(SCHEMA), now: () => 0 });
  const hub = new SyncHub({
    store: new SqliteStorage(store),
    logger: createLogger('silent'),
    now: () => 0, // frozen: the bucket refills nothing
    verifier: null,
    permit: null,
    pageSize: 100,
    limits: { ...DEFAULT_LIMITS, heartbeatMs: 0, ...limits },
    rejectedRow: (_c, _w, row) => row,
  });
  const ws = new FakeSocket();
  const conn = hub.accept(ws as unknown as WebSocket, 'fake');
  return { store, ws, conn };
}

/** What the socket was sent after the welcome, in short: `ack a,b`, `changes 0-2 a,b`, `pong`, `error code`. */
const said = (ws: FakeSocket) =>
  ws.sent.slice(1).map((f) => {
    if (f.type === 'change_ack') return `ack ${(f['acks'] as { change_id: string }[]).map((a) => a.change_id).join(',')}`;
    if (f.type === 'server_changes') return `changes ${String(f['prev_lsn'])}-${String(f['lsn'])} ${(f['changes'] as { change_id: string }[]).map((c) => c.change_id).join(',')}`;
    if (f.type === 'error') return `error ${String(f['code'])}`;
    return f.type;
  });

describe('server: runs of client_change frames on a connection', () => {
  it('writes frames that waited back to back together: each acked on its own, in order, then one broadcast', async () => {
    const { store, ws, conn } = serve();
    ws.deliver(hello, cc('a1', 'a2'), cc('b1'), cc('c1'), cc('d1', 'd2'));
    await conn.idle();
    expect(said(ws)).toEqual(['ack a1,a2', 'ack b1', 'ack c1', 'ack d1,d2', 'changes 0-6 a1,a2,b1,c1,d1,d2']);
    expect(store.lsn()).toBe(6);
    ws.close();
    store.close();
  });

  it('ends a run at any other frame, which is answered in its place', async () => {
    const { store, ws, conn } = serve();
    ws.deliver(hello, cc('a1'), cc('b1'), { type: 'ping', t: 1 }, cc('c1'), cc('d1'));
    await conn.idle();
    expect(said(ws)).toEqual(['ack a1', 'ack b1', 'changes 0-2 a1,b1', 'pong', 'ack c1', 'ack d1', 'changes 2-4 c1,d1']);
    ws.close();
    store.close();
  });

  it('refuses a frame over the change limit on its own, between the runs around it', async () => {
    const { store, ws, conn } = serve({ maxChangesPerFrame: 3 });
    ws.deliver(hello, cc('a1'), cc('b1', 'b2', 'b3', 'b4'), cc('c1'), cc('d1', 'd2'), cc('e1', 'e2'));
    await conn.idle();
    // c1 + d1,d2 fill one frame's worth of changes (3): e1,e2 is the next run.
    expect(said(ws)).toEqual(['ack a1', 'changes 0-1 a1', 'error limit_exceeded', 'ack c1', 'ack d1,d2', 'changes 1-4 c1,d1,d2', 'ack e1,e2', 'changes 4-6 e1,e2']);
    ws.close();
    store.close();
  });

  it('lets a frame join only while the bucket is not in debt: as many frames as one at a time, then it waits', async () => {
    // Burst 4: the hello leaves 3; frames 1-3 take them, frame 4 goes into debt (as it did alone), frame 5 waits.
    const { store, ws, conn } = serve({ frameBurst: 4 });
    const broadcast = ws.sentUntil((f) => f.type === 'server_changes');
    ws.deliver(hello, cc('a'), cc('b'), cc('c'), cc('d'), cc('e'), cc('f'));
    await broadcast;
    ws.close(); // the clock is frozen: the rest would wait for ever; closing ends the wait
    await conn.idle();
    expect(said(ws)).toEqual(['ack a', 'ack b', 'ack c', 'ack d', 'changes 0-4 a,b,c,d']);
    expect(store.lsn()).toBe(4);
    store.close();
  });
});
