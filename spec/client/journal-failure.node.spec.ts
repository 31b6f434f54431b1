/**
 * Issue 14, point 3: a failed journal write. The rule: a change whose journal write failed is
 * KEPT (it is committed in memory and written with the next flush) and announced to the engine
 * IN ORDER once it is durable, before every change recorded after it (lib/worker/durable-
 * announcer.ts). So a later change to the same row never overtakes it, and the server ends with
 * the newest value. Real host (in-process channel), real sql.js store, real server over sockets.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { inProcessChannelPair } from '../../lib/client/channel.js';
import { RpcClient } from '../../lib/client/rpc.js';
import { ErrorCodes, type SyncError } from '../../lib/errors.js';
import type { WorkerToMain } from '../../lib/protocol/index.js';
import { createMemoryMedium, memoryPersistence } from '../../lib/store/persistence.js';
import type { WebSocketConstructor } from '../../lib/transport/index.js';
import { startSyncHost } from '../../lib/worker/host.js';
import { startSyncServer } from '../../server/index.js';
import { ProbePersistence } from '../store/helpers.js';
import { TEST_SCHEMA } from '../support/schema.js';
import { eventually } from '../support/wait.js';

type Server = Awaited<ReturnType<typeof startSyncServer>>;

describe('a failed journal write (kept, announced in order)', () => {
  let server: Server;
  let dir: string;
  let rpc: RpcClient;
  let statuses: Array<Extract<WorkerToMain, { type: 'status' }>['status']>;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsw-journal-'));
    server = await startSyncServer({ host: '127.0.0.1', port: 0, db: path.join(dir, 'server.sqlite'), schema: TEST_SCHEMA, logger: 'silent' });
  });
  afterEach(async () => {
    await rpc.request({ type: 'close' }).catch(() => undefined);
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the change that failed to persist is sent before the later change to the same row; the server ends with the newest value', async () => {
    const probe = new ProbePersistence(memoryPersistence(createMemoryMedium()));
    const [mine, host] = inProcessChannelPair();
    let n = 0;
    startSyncHost(host, { WebSocket: WebSocket as unknown as WebSocketConstructor, persistence: probe, newId: () => `j-${++n}` });
    rpc = new RpcClient(mine);
    statuses = [];
    rpc.events$.subscribe((m) => m.type === 'status' && statuses.push(m.status));
    await rpc.request({ type: 'init', options: { schema: TEST_SCHEMA as never, storage: 'memory', url: server.url, clientId: 'journal', backoff: { initialDelay: 10, maxDelay: 50 } } });
    await eventually(() => statuses.at(-1)?.connection === 'synced', 'synced');
    const row = (title: string) => ({ op: 'insert' as const, entity: 'todos', entity_id: 'r', data: { id: 'r', title, done: 0 } });
    probe.failNext = new Error('disk full (injected)');
    const first = await rpc.request({ type: 'change_recorded', changes: [row('older')] }).then(() => null, (e: SyncError) => e);
    expect(first?.code).toBe(ErrorCodes.PERSISTENCE);
    expect(first?.message).toContain('kept');
    await rpc.request({ type: 'change_recorded', changes: [row('newer')] });
    await eventually(() => server.lsn() === 2 && statuses.at(-1)?.pending === 0 && statuses.at(-1)?.inFlight === 0, 'both changes acked');
    // In the server's log the older change comes first: last writer wins with the newer value.
    // The server's log, read from its file (WAL allows a reader while it runs).
    const db = new Database(path.join(dir, 'server.sqlite'), { readonly: true, fileMustExist: true });
    try {
      expect(db.prepare('SELECT change_id FROM change_log ORDER BY lsn').all()).toEqual([{ change_id: 'j-1' }, { change_id: 'j-2' }]);
      expect(db.prepare("SELECT id, title, done FROM todos WHERE id = 'r'").all()).toEqual([{ id: 'r', title: 'newer', done: 0 }]);
    } finally {
      db.close();
    }
  });
});
