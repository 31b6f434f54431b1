/**
 * A scripted sync server (ws on 127.0.0.1, port 0) for protocol faults: it speaks just enough of
 * the protocol (welcome with a chosen LSN, pages from its own log, acks for client changes,
 * pongs) and lets a spec send anything it likes, valid or not, in any order. Node only.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ClientFrame, Row, ServerChange } from '../../../lib/protocol/index.js';

/** What the scripted server does on its own. */
export interface ScriptOptions {
  /** LSN announced in `welcome`, and where catch-up pages stop (default: the last LSN of its log). Null: answer hello with a `client_ahead` error instead. */
  welcomeLsn?: number | null;
  /** Answer `sync_request` from the log (default true). */
  answerSyncRequests?: boolean;
  /** Frames sent right after the next `welcome`, in the same tick (one TCP write, as a busy server does); then cleared. */
  afterWelcome?: unknown[];
  /** Take client changes without answering them (no ack, no echo): they wait like on a lost link. Default false. */
  holdChanges?: boolean;
  /** Current rows by `entity/id`, for answering `fetch_rows` (a row not listed: null, no such row). */
  rows?: Record<string, Row | null>;
}

/** The scripted server. */
export class ScriptedServer {
  /** Its change log (the spec may append). */
  readonly log: ServerChange[] = [];
  /** Every frame clients sent, parsed, in order. */
  readonly received: ClientFrame[] = [];
  options: ScriptOptions = {};
  private socket: WebSocket | null = null;
  private clientId = 'me';
  private waiters: Array<() => void> = [];

  private constructor(private readonly wss: WebSocketServer) {
    wss.on('connection', (ws) => {
      this.socket = ws;
      ws.on('message', (data) => this.onFrame(ws, JSON.parse(String(data)) as ClientFrame));
    });
  }

  /** Listen on 127.0.0.1, port 0. */
  static async start(): Promise<ScriptedServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return new ScriptedServer(wss);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/sync`;
  }

  /** The last LSN of the log. */
  lsn(): number {
    return this.log.length === 0 ? 0 : this.log[this.log.length - 1]!.lsn;
  }

  /** Append a change by another client to the log; returns it. */
  append(id: string, title: string): ServerChange {
    const change: ServerChange = { lsn: this.lsn() + 1, change_id: `srv-${this.lsn() + 1}-${id}`, client_id: 'other', entity: 'todos', entity_id: id, op: 'insert', data: { id, title, done: 0 } };
    this.log.push(change);
    return change;
  }

  /** The log's changes in (from, to]. */
  range(from: number, to: number): ServerChange[] {
    return this.log.filter((c) => c.lsn > from && c.lsn <= to);
  }

  /** Send a frame (object -> JSON, string as is) to the connected client. */
  send(frame: unknown): void {
    if (!this.socket) throw new Error('no client connected');
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Cut the client's connection (it reconnects). */
  drop(): void {
    this.socket?.terminate();
    this.socket = null;
  }

  /** The first received frame (from `after` on) matching `match`, waiting up to `ms`. */
  async next(match: (f: ClientFrame) => boolean, what: string, after = 0, ms = 5000): Promise<ClientFrame> {
    const until = performance.now() + ms;
    for (;;) {
      const found = this.received.slice(after).find(match);
      if (found) return found;
      const left = until - performance.now();
      if (left <= 0) throw new Error(`scripted server: no ${what} within ${ms} ms (got ${this.received.map((f) => f.type).join(', ')})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private onFrame(ws: WebSocket, frame: ClientFrame): void {
    this.received.push(frame);
    for (const w of this.waiters.splice(0)) w();
    const reply = (f: unknown) => ws.send(JSON.stringify(f));
    switch (frame.type) {
      case 'hello':
        this.clientId = frame.client_id;
        if (this.options.welcomeLsn === null) return reply({ type: 'error', code: 'client_ahead', message: 'scripted: client ahead', lsn: this.lsn() });
        reply({ type: 'welcome', server_lsn: this.options.welcomeLsn ?? this.lsn() });
        for (const f of this.options.afterWelcome?.splice(0) ?? []) reply(f);
        return;
      case 'sync_request': {
        if (this.options.answerSyncRequests === false) return;
        const to = Math.max(frame.from_lsn, Math.min(this.lsn(), this.options.welcomeLsn ?? Infinity));
        return reply({ type: 'sync_response', from_lsn: frame.from_lsn, lsn: to, changes: this.range(frame.from_lsn, to), complete: true });
      }
      case 'client_change': {
        if (this.options.holdChanges) return;
        // Applied at the end of the log, acked, then echoed like a real server's broadcast.
        const prev = this.lsn();
        const acks = frame.changes.map((c) => {
          const lsn = this.lsn() + 1;
          this.log.push({ ...c, lsn, client_id: this.clientId });
          return { change_id: c.change_id, status: 'applied', lsn };
        });
        reply({ type: 'change_ack', acks });
        return reply({ type: 'server_changes', prev_lsn: prev, lsn: this.lsn(), changes: this.range(prev, this.lsn()) });
      }
      case 'fetch_rows':
        return reply({ type: 'rows', entity: frame.entity, lsn: this.lsn(), rows: frame.ids.map((id) => ({ id, row: this.options.rows?.[`${frame.entity}/${id}`] ?? null })) });
      case 'ping':
        return reply({ type: 'pong', ...(frame.t !== undefined && { t: frame.t }) });
      default:
        return;
    }
  }
}
