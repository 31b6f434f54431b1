/**
 * Issue 14, seed 20250626 of the network fault suite: the divergence behind `client_ahead` then
 * `server_changed`. The engine on the REAL sql.js store and the REAL transport (fake sockets,
 * virtual time), the exact sequence of the seed on one row:
 * 1. our change A of the row is acknowledged by the old server (lsn 1) and echoed;
 * 2. our change B of the same row goes out next, but the socket is already closing: the
 *    transport holds B in its outbound buffer;
 * 3. the server's database is recreated: the next hello meets `client_ahead { lsn: 0 }`, so A
 *    is pending again, AHEAD of B (resync.ts), and the engine asks for a fresh connection;
 * 4. the new server (another server_id) welcomes us: the replica is reset, A and B are sent again.
 * Before the fix the transport flushed the buffered B right after that welcome, so the new log
 * got B before A (last write by LSN: A won there) while the replica kept B on top: divergent.
 * Now `reconnect()` drops what was buffered for the old connection and A, then B, reach the new
 * server in the client's order; the replica equals the server's row.
 */
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { createSyncEngine } from '../../lib/engine/engine.js';
import type { LocalChange } from '../../lib/engine/ports.js';
import { mulberry32 } from '../../lib/engine/random.js';
import { ErrorCodes, type SyncError } from '../../lib/errors.js';
import type { ClientChange, Row, ServerChange } from '../../lib/protocol/index.js';
import { openStore } from '../../lib/store/index.js';
import { createTransport } from '../../lib/transport/index.js';
import { fakeSockets, type FakeSocket } from '../transport/fake-socket.js';

const schema = { todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER' } } };

/** A server log played by the spec: applies each change in ARRIVAL order (last writer wins), dedupes by change_id. */
class ModelServer {
  readonly log: ServerChange[] = [];
  readonly rows = new Map<string, Row>();
  private read = 0;

  constructor(private readonly socket: FakeSocket) {}

  /** Answer every frame the client sent since the last call: acks and echoes for changes, pages for requests. */
  serve(): void {
    for (const f of this.socket.frames().slice(this.read)) {
      this.read++;
      if (f.type === 'client_change') this.apply(f['changes'] as ClientChange[]);
      if (f.type === 'sync_request') {
        const from = f['from_lsn'] as number;
        this.socket.receive({ type: 'sync_response', from_lsn: from, lsn: this.log.length, changes: this.log.filter((c) => c.lsn > from), complete: true });
      }
    }
  }

  private apply(changes: ClientChange[]): void {
    const acks = [];
    const fresh: ServerChange[] = [];
    for (const c of changes) {
      const had = this.log.find((l) => l.change_id === c.change_id);
      if (had) {
        acks.push({ change_id: c.change_id, status: 'duplicate', lsn: had.lsn });
        continue;
      }
      const before = this.rows.get(c.entity_id);
      this.rows.set(c.entity_id, c.op === 'insert' ? { ...c.data } : { id: c.entity_id, title: null, done: null, ...before, ...c.data });
      const entry = { ...c, lsn: this.log.length + 1, client_id: 'client-1' } as ServerChange;
      this.log.push(entry);
      fresh.push(entry);
      acks.push({ change_id: c.change_id, status: 'applied', lsn: entry.lsn });
    }
    this.socket.receive({ type: 'change_ack', acks });
    if (fresh.length > 0) this.socket.receive({ type: 'server_changes', prev_lsn: fresh[0]!.lsn - 1, lsn: fresh.at(-1)!.lsn, changes: fresh });
  }
}

describe('a change buffered by the transport when the server database is recreated (client_ahead, then server_changed)', () => {
  it('does not reach the new server ahead of our earlier change of its row, made pending again by the resync: the replica equals the server row', async () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    const { FakeSocket, sockets } = fakeSockets(ts);
    let n = 0;
    const store = await openStore({ schema, clientId: 'client-1', newId: () => `client-1-${++n}` });
    const transport = createTransport({
      url: 'ws://fake.invalid/sync', WebSocket: FakeSocket, scheduler: ts, random: () => 0.5,
      hello: () => ({ client_id: store.clientId(), last_lsn: store.getLsn() }),
      backoff: { initialDelay: 10, maxDelay: 10 }, heartbeat: { interval: 60_000, timeout: 60_000 },
    });
    const local$ = new Subject<LocalChange[]>();
    const engine = createSyncEngine({ store, transport, localChanges$: local$, scheduler: ts, random: mulberry32(1), config: { ackDelay: 0 } });
    const errors: SyncError[] = [];
    engine.errors$.subscribe((e) => errors.push(e));
    const advance = (ms: number) => {
      const target = ts.frame + ms;
      ts.maxFrames = target;
      ts.flush();
      ts.frame = target;
    };
    const until = async (cond: () => boolean, what: string) => {
      for (let i = 0; i < 200 && !cond(); i++) {
        await new Promise((r) => setTimeout(r, 0));
        advance(1);
      }
      if (!cond()) throw new Error(`timed out waiting for ${what}`);
    };
    const handshake = async (s: FakeSocket) => {
      s.open();
      await until(() => s.sent.length > 0, 'hello');
      return s.frames()[0]!;
    };
    const changesOf = (s: FakeSocket) => s.frames().flatMap((f) => (f.type === 'client_change' ? (f['changes'] as ClientChange[]).map((c) => c.change_id) : []));
    const row = () => store.query("SELECT id, title, done FROM todos WHERE id = 'c2-1'")[0];
    try {
      engine.start();
      transport.connect();

      // The old server.
      await until(() => sockets.length > 0, 'socket 0');
      const s0 = sockets[0]!;
      await handshake(s0);
      s0.receive({ type: 'welcome', server_lsn: 0, server_id: 'old' });
      advance(1);
      const [a, b] = [
        store.recordLocalChanges([{ op: 'update', entity: 'todos', entity_id: 'c2-1', data: { done: 0 } }], ts.now())[0]!,
        store.recordLocalChanges([{ op: 'insert', entity: 'todos', entity_id: 'c2-1', data: { id: 'c2-1', title: '20250626.34', done: 1 } }], ts.now())[0]!,
      ];
      local$.next([a, b]);
      await until(() => changesOf(s0).length === 1, 'A sent to the old server');
      expect(changesOf(s0)).toEqual([a.change_id]);
      // The line goes dead while A's ack and echo are on their way in: B, next on its row, meets a closing socket.
      s0.readyState = 2;
      s0.receive({ type: 'change_ack', acks: [{ change_id: a.change_id, status: 'applied', lsn: 1 }] });
      s0.receive({ type: 'server_changes', prev_lsn: 0, lsn: 1, changes: [{ lsn: 1, change_id: a.change_id, client_id: 'client-1', entity: 'todos', entity_id: 'c2-1', op: 'update', data: { done: 0 } }] });
      advance(1);
      expect(changesOf(s0)).toEqual([a.change_id]);
      expect(store.change(a.change_id)).toEqual(jasmine.objectContaining({ status: 'synced', lsn: 1 }));
      s0.drop(1006);

      // The server comes back on a NEW empty database: behind us.
      await until(() => sockets.length > 1, 'socket 1');
      const s1 = sockets[1]!;
      expect(await handshake(s1)).toEqual(jasmine.objectContaining({ type: 'hello', last_lsn: 1 }));
      s1.receive({ type: 'error', code: ErrorCodes.CLIENT_AHEAD, message: 'client at lsn 1 is ahead of the server (lsn 0)', lsn: 0 });
      advance(1);
      // A is pending again, ahead of B (its seq is lower).
      expect(store.pendingChanges().map((c) => c.change_id)).toEqual([a.change_id, b.change_id]);

      await until(() => sockets.length > 2, 'socket 2');
      const s2 = sockets[2]!;
      expect(await handshake(s2)).toEqual(jasmine.objectContaining({ type: 'hello', last_lsn: 0 }));
      const server = new ModelServer(s2);
      s2.receive({ type: 'welcome', server_lsn: 0, server_id: 'new' });
      for (let i = 0; i < 20; i++) {
        server.serve();
        await new Promise((r) => setTimeout(r, 0));
        advance(1);
      }

      expect(errors.map((e) => e.code)).toEqual([ErrorCodes.CONNECTION, ErrorCodes.CLIENT_AHEAD, ErrorCodes.SERVER_CHANGED]);
      // The new log has the row's changes in the client's order...
      expect(server.log.map((c) => c.change_id)).toEqual([a.change_id, b.change_id]);
      // ...and the replica equals the server's row, B on top (before the fix: the server done 0, the replica done 1).
      expect(row()).toEqual(server.rows.get('c2-1')!);
      expect(row()).toEqual({ id: 'c2-1', title: '20250626.34', done: 1 });
      expect(store.counts()).toEqual({ pending: 0, failed: 0 });
      expect(store.getLsn()).toBe(2);
    } finally {
      engine.stop();
      transport.close();
      await store.close();
    }
  });
});
