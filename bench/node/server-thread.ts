/**
 * A sync server in its own worker thread, so that bench clients in the driver's thread do not
 * steal its event loop. `kind: 'sync'` is the REAL reference server (startSyncServer, in-memory
 * SQLite); `kind: 'fanout'` is the baseline: a bare `ws` server that acks each client frame and
 * forwards its bytes to every client, with no decoding, no SQLite and no log.
 * Messages in: { id, cmd: 'lsn' | 'close' | 'trace' }; out: { id, value } / { ready: url }.
 * `trace: true` (sync only) instruments the server's sockets (server-trace.ts); `trace` takes the records.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { startSyncServer } from '../../server/index.js';
import { BENCH_SCHEMA } from '../shared/data.js';
import { ACCESS_BENCH_SCHEMA, BENCH_RULES } from './access-rules.js';
import { installServerTrace } from './server-trace.js';

/** What the thread is started with. */
export interface ServerThreadData {
  kind: 'sync' | 'fanout';
  /** Changes per client frame (the fan-out server counts LSNs without parsing). */
  frameSize?: number;
  /** The sync server's database (default `':memory:'`; a `postgres://` URL for the PostgreSQL backend). */
  db?: string;
  /** `access`: the schema of the access benches (items + members). Default: BENCH_SCHEMA. */
  schema?: 'bench' | 'access';
  /** HS256 secret: the server requires tokens. */
  auth?: string;
  /** Access rules by name (bench/node/access-rules.ts). */
  access?: 'scopes10' | 'members';
  /** Record frame times for the per-stage trace of end_to_end_latency (server-trace.ts). */
  trace?: boolean;
}

interface Running {
  url: string;
  lsn(): number;
  close(): Promise<void>;
}

async function startFanout(frameSize: number): Promise<Running> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  const ready = new Set<WebSocket>();
  let lsn = 0;
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer) => {
      const head = data.toString('latin1', 0, 24);
      if (head.startsWith('{"type":"hello"')) {
        ready.add(ws);
        ws.send(`{"type":"welcome","server_lsn":${lsn}}`);
      } else if (head.startsWith('{"type":"client_change"')) {
        const prev = lsn;
        lsn += frameSize;
        ws.send(`{"type":"change_ack","n":${frameSize}}`);
        const frame = Buffer.concat([Buffer.from(`{"type":"server_changes","prev_lsn":${prev},"lsn":${lsn},"frame":`), data, Buffer.from('}')]);
        for (const c of ready) c.send(frame, { binary: false });
      }
    });
    ws.on('close', () => ready.delete(ws));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/sync`,
    lsn: () => lsn,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

async function main(): Promise<void> {
  const data = workerData as ServerThreadData;
  // Before the server starts: every socket it accepts is then instrumented.
  const tracer = data.trace ? installServerTrace() : null;
  const server: Running =
    data.kind === 'sync'
      ? await startSyncServer({
          host: '127.0.0.1', port: 0, db: data.db ?? ':memory:', schema: data.schema === 'access' ? ACCESS_BENCH_SCHEMA : BENCH_SCHEMA, logger: 'error',
          ...(data.auth !== undefined && { auth: { secret: data.auth } }),
          ...(data.access !== undefined && { access: BENCH_RULES[data.access] }),
        })
      : await startFanout(data.frameSize ?? 1);
  parentPort!.on('message', (m: { id: number; cmd: 'lsn' | 'close' | 'trace' }) => {
    if (m.cmd === 'lsn') parentPort!.postMessage({ id: m.id, value: server.lsn() });
    else if (m.cmd === 'trace') parentPort!.postMessage({ id: m.id, value: tracer?.take() ?? null });
    else void server.close().then(() => parentPort!.postMessage({ id: m.id, value: 0 }));
  });
  parentPort!.postMessage({ ready: server.url });
}

void main();
