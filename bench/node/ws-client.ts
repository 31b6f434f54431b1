/**
 * A minimal protocol client for Node-side load (seeding the server, server_throughput): raw `ws`,
 * hello/welcome, `client_change` frames sent from pre-serialized text, acks counted, and the
 * highest broadcast LSN tracked from each frame's first bytes (no JSON parse of whole frames:
 * 50 of these must not cost more than the server they load).
 */
import WebSocket from 'ws';
import { makeRow, mulberry32 } from '../shared/data.js';

/** One connected, handshaken bench client. */
export class WsBenchClient {
  /** Highest `lsn` seen in a `server_changes` frame. */
  maxLsn = 0;
  private acks = 0;
  private readonly ackWaiters: { at: number; resolve: () => void }[] = [];
  private readonly lsnWaiters: { lsn: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private closedWith: Error | null = null;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.onFrame(data));
    ws.on('close', (code, reason) => this.onClose(new Error(`bench client closed by the server: ${code} ${reason.toString()}`)));
  }

  /** Connect and say hello (with `token` when given); resolves after `welcome`. */
  static async connect(url: string, clientId: string, token?: string): Promise<WsBenchClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const client = new WsBenchClient(ws);
    const welcome = new Promise<void>((resolve) => ws.once('message', () => resolve()));
    ws.send(JSON.stringify({ type: 'hello', protocol: 1, client_id: clientId, last_lsn: 0, ...(token !== undefined && { token }) }));
    await welcome;
    return client;
  }

  /** Send a pre-serialized frame. */
  sendText(text: string): void {
    this.ws.send(text);
  }

  /** Resolves once `count` change_acks have arrived in total. */
  acked(count: number): Promise<void> {
    if (this.acks >= count) return Promise.resolve();
    return new Promise((resolve) => this.ackWaiters.push({ at: count, resolve }));
  }

  /** Resolves once a broadcast reached `lsn`; rejects if the connection closes first. */
  reached(lsn: number): Promise<void> {
    if (this.maxLsn >= lsn) return Promise.resolve();
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => this.lsnWaiters.push({ lsn, resolve, reject }));
  }

  /** Close the socket. */
  close(): void {
    this.ws.terminate();
  }

  private onFrame(data: Buffer): void {
    const head = data.toString('latin1', 0, 80);
    if (head.startsWith('{"type":"change_ack"')) {
      this.acks++;
      for (let i = this.ackWaiters.length - 1; i >= 0; i--) {
        if (this.ackWaiters[i]!.at <= this.acks) this.ackWaiters.splice(i, 1)[0]!.resolve();
      }
    } else if (head.startsWith('{"type":"server_changes"')) {
      const m = /"lsn":(\d+)/.exec(head);
      if (m) this.maxLsn = Math.max(this.maxLsn, Number(m[1]));
      for (let i = this.lsnWaiters.length - 1; i >= 0; i--) {
        if (this.lsnWaiters[i]!.lsn <= this.maxLsn) this.lsnWaiters.splice(i, 1)[0]!.resolve();
      }
    } else if (head.startsWith('{"type":"error"')) {
      this.onClose(new Error(`server error frame: ${data.toString('utf8', 0, 300)}`));
    }
  }

  private onClose(error: Error): void {
    this.closedWith ??= error;
    for (const w of this.lsnWaiters.splice(0)) w.reject(error);
  }
}

/** `frames` client_change frames of `size` inserts each, as JSON text (made before any timing). */
export function clientFrames(seed: number, prefix: string, frames: number, size: number): string[] {
  const rnd = mulberry32(seed);
  const out: string[] = [];
  for (let f = 0; f < frames; f++) {
    const changes = [];
    for (let i = 0; i < size; i++) {
      const n = f * size + i;
      const data = makeRow(rnd, prefix, n);
      changes.push({ change_id: `${prefix}-c${n}`, entity: 'items', entity_id: data.id, op: 'insert', data });
    }
    out.push(JSON.stringify({ type: 'client_change', changes }));
  }
  return out;
}

/** Send `frames` from one client with at most `window` frames awaiting their ack. */
export async function sendWindowed(client: WsBenchClient, frames: readonly string[], window: number, acksBefore = 0): Promise<void> {
  for (let i = 0; i < frames.length; i++) {
    if (i >= window) await client.acked(acksBefore + i - window + 1);
    client.sendText(frames[i]!);
  }
  await client.acked(acksBefore + frames.length);
}
