/**
 * Test helpers for the server specs (Node only): a real `ws` client that queues the frames it
 * receives, decodes each with the CLIENT's codecs (so every frame the server sends is checked
 * against the protocol), and waits for them with a bound.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { WebSocket } from 'ws';
import { PROTOCOL_VERSION, decodeServerFrame, type ClientChange, type ServerFrame } from '../../lib/protocol/index.js';
import { startSyncServer, type SyncServer, type SyncServerOptions } from '../../server/index.js';
import { freshPgUrl, serversOnPostgres } from '../support/pg.js';

export const SCHEMA = {
  todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER' } },
  counters: { primaryKey: 'n', columns: { n: 'INTEGER', label: 'TEXT' } },
} as const;

/**
 * Start a quiet server on 127.0.0.1, port 0, in memory unless told otherwise; in the PostgreSQL
 * pass of `npm test` (RSW_SERVER_BACKEND=postgres) an in-memory db becomes a fresh PostgreSQL schema.
 */
export function startServer(opts: Partial<SyncServerOptions> = {}): Promise<SyncServer> {
  const db = (opts.db ?? ':memory:') === ':memory:' && serversOnPostgres() ? freshPgUrl() : (opts.db ?? ':memory:');
  return startSyncServer({ host: '127.0.0.1', port: 0, schema: SCHEMA, logger: 'silent', ...opts, db });
}

/** A fresh temporary folder; `cleanup()` removes it. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'rsw-server-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

type FrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;

/** A real WebSocket client for specs. */
export class TestClient {
  /** Every frame received, in order (decoded). */
  readonly received: ServerFrame[] = [];
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly queue: ServerFrame[] = [];
  private waiter: (() => void) | null = null;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => undefined); // the close event says what happened
    ws.on('message', (data) => {
      const decoded = decodeServerFrame(data.toString());
      if (isLeft(decoded)) throw new Error(`server sent an invalid frame: ${decoded.left.message}`);
      this.received.push(decoded.right);
      this.queue.push(decoded.right);
      this.waiter?.();
    });
  }

  /** Connect to `url`. */
  static open(url: string): Promise<TestClient> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestClient(ws)));
      ws.once('error', reject);
    });
  }

  /** Connect and handshake; resolves with the client and the welcome. */
  static async handshake(url: string, clientId: string, extra: { last_lsn?: number; token?: string; schema_version?: number } = {}): Promise<{ c: TestClient; welcome: FrameOf<'welcome'> }> {
    const c = await TestClient.open(url);
    c.send({
      type: 'hello', protocol: PROTOCOL_VERSION, client_id: clientId, last_lsn: extra.last_lsn ?? 0,
      ...(extra.token ? { token: extra.token } : {}), ...(extra.schema_version !== undefined && { schema_version: extra.schema_version }),
    });
    return { c, welcome: await c.next('welcome') };
  }

  /** Send a frame (an object is JSON-encoded; a string goes as is). */
  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Send changes; resolves with the change_ack. */
  async change(changes: ClientChange[]): Promise<FrameOf<'change_ack'>> {
    this.send({ type: 'client_change', changes });
    return this.next('change_ack');
  }

  /** Send changes; resolves with the change_ack, after the echo (server_changes) when any applied. */
  async commit(changes: ClientChange[]): Promise<FrameOf<'change_ack'>> {
    const ack = await this.change(changes);
    if (ack.acks.some((a) => a.status === 'applied')) await this.next('server_changes');
    return ack;
  }

  /** The next frame (of `type` if given: anything else before it fails the wait). Bounded. */
  async next<T extends ServerFrame['type']>(type?: T, timeoutMs = 3000): Promise<FrameOf<T>> {
    const frame = await this.take(timeoutMs);
    if (type !== undefined && frame.type !== type) throw new Error(`expected "${type}", got ${JSON.stringify(frame).slice(0, 300)}`);
    return frame as FrameOf<T>;
  }

  /** The next `n` frames, in order (one waiter at a time: call sequentially). */
  async nextN(n: number): Promise<ServerFrame[]> {
    const out: ServerFrame[] = [];
    while (out.length < n) out.push(await this.take(3000));
    return out;
  }

  /** Close from the client side and wait for the close. */
  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    await this.closed;
  }

  private take(timeoutMs: number): Promise<ServerFrame> {
    const head = this.queue.shift();
    if (head) return Promise.resolve(head);
    if (this.waiter) return Promise.reject(new Error('TestClient: one next() at a time'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`no frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = () => {
        clearTimeout(timer);
        this.waiter = null;
        resolve(this.queue.shift()!);
      };
    });
  }
}

/** A todo insert change. */
export function todo(change_id: string, id: string, title: string, done = 0): ClientChange {
  return { change_id, entity: 'todos', entity_id: id, op: 'insert', data: { id, title, done } };
}
