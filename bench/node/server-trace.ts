/**
 * Bench-only instrumentation of the real sync server, for the per-stage trace of
 * end_to_end_latency (bench/shared/trace.ts). It patches `ws`'s WebSocket class in the server's
 * thread: `emit('message')` (a frame read off a socket, before the server's handler runs) and
 * `send` (a frame handed to a socket). The hot path only pushes `[time, socket, data]`; frames are
 * parsed when the trace is taken. Installed only in a server thread started with `trace: true`.
 */
import { WebSocket } from 'ws';
import type { ServerTrace } from '../shared/trace.js';

type Rec = [number, WebSocket, unknown];

/** The recorder: `take()` returns the trace so far and forgets it. */
export interface ServerTracer {
  take(): ServerTrace;
}

const now = () => performance.timeOrigin + performance.now();

function text(data: unknown): string | null {
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return null;
}

type Frame = { type?: string; client_id?: string; changes?: { change_id: string }[]; acks?: { change_id: string }[] };

/** Patch ws's WebSocket in this thread (once). */
export function installServerTrace(): ServerTracer {
  let incoming: Rec[] = [];
  let outgoing: Rec[] = [];
  // Which client each socket is (from its hello), kept across takes.
  const clientOf = new Map<WebSocket, string>();
  const proto = WebSocket.prototype as unknown as { emit(event: string | symbol, ...args: unknown[]): boolean; send(data: unknown, ...rest: unknown[]): void };
  const emit = proto.emit;
  proto.emit = function (this: WebSocket, event, ...args) {
    if (event === 'message') incoming.push([now(), this, args[0]]);
    return emit.call(this, event, ...args);
  };
  const send = proto.send;
  proto.send = function (this: WebSocket, data, ...rest) {
    outgoing.push([now(), this, data]);
    return send.call(this, data, ...rest);
  };
  return {
    take: () => {
      const t: ServerTrace = { in: {}, ack: {}, broadcast: {} };
      // One broadcast Buffer goes to every client: parse it once.
      const cache = new Map<unknown, Frame | null>();
      const parse = (data: unknown): Frame | null => {
        if (cache.has(data)) return cache.get(data)!;
        const s = text(data);
        let f: Frame | null;
        try {
          f = s === null ? null : (JSON.parse(s) as Frame);
        } catch {
          f = null;
        }
        cache.set(data, f);
        return f;
      };
      for (const [at, ws, data] of incoming) {
        const f = parse(data);
        if (f?.type === 'hello' && f.client_id) clientOf.set(ws, f.client_id);
        else if (f?.type === 'client_change') for (const c of f.changes ?? []) t.in[c.change_id] ??= at;
      }
      for (const [at, ws, data] of outgoing) {
        const f = parse(data);
        if (f?.type === 'change_ack') for (const a of f.acks ?? []) t.ack[a.change_id] ??= at;
        else if (f?.type === 'server_changes') {
          const to = (t.broadcast[clientOf.get(ws) ?? '?'] ??= {});
          for (const c of f.changes ?? []) to[c.change_id] ??= at;
        }
      }
      incoming = [];
      outgoing = [];
      return t;
    },
  };
}
