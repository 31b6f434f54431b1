/**
 * Bench-only instrumentation of the real sync server, for the per-stage trace of
 * end_to_end_latency (bench/shared/trace.ts). It patches, in the server's thread only, `ws`'s
 * WebSocket class: `emit('message')` (a frame read off a socket, before the server's handler runs)
 * and `send` (a frame handed to a socket); and two of the server's own methods, at runtime (no
 * server code changes): `ClientConnection.guarded` (the socket's inbox hands a frame on to be
 * decoded and handled, with the frames its run takes through `rest.take()` (server/change-run.ts),
 * and the handling of that unit ends: the inbox's next frame waits for that) and
 * `SyncHub.applyInOrder`'s `request` (the ordered apply queue starts writing the run's frames).
 * The hot path only pushes `[time, ..., data]`; frames are parsed when the
 * trace is taken. Installed only in a server thread started with `trace: true`.
 */
import { WebSocket } from 'ws';
import { ClientConnection } from '../../server/connection.js';
import { SyncHub } from '../../server/hub.js';
import type { Lookahead } from '../../server/inbox.js';
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

/** `name` of `proto` as a method to wrap; throws when the server no longer has it (the trace would silently miss a stage). */
function method<F>(proto: object, name: string): F {
  const f = (proto as Record<string, unknown>)[name];
  if (typeof f !== 'function') throw new Error(`server-trace: the server has no method ${name} any more: update bench/node/server-trace.ts`);
  return f as F;
}

/** Patch ws's WebSocket and the two server methods in this thread (once), before the server starts. */
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
  let handled: [number, string][] = [];
  let finished: [number, string][] = [];
  let writing: [number, readonly { change_id: string }[]][] = [];
  const conn = ClientConnection.prototype as unknown as Record<string, unknown>;
  const guarded = method<(this: unknown, text: string, rest: Lookahead) => Promise<void>>(conn, 'guarded');
  conn['guarded'] = function (this: unknown, text: string, rest: Lookahead) {
    // The unit's head is handed on now; a frame that joins its run (change-run.ts) when it is taken.
    const unit = [text];
    handled.push([now(), text]);
    const traced: Lookahead = {
      peek: () => rest.peek(),
      take: () => {
        const t = rest.take();
        if (t !== undefined) {
          handled.push([now(), t]);
          unit.push(t);
        }
        return t;
      },
    };
    const done = guarded.call(this, text, traced);
    // guarded() catches what the handling throws; both outcomes end the unit's turn in the inbox.
    const end = () => {
      const at = now();
      for (const t of unit) finished.push([at, t]);
    };
    void done.then(end, end);
    return done;
  };
  type Apply = (this: unknown, sizes: readonly number[], request: () => readonly { changes: readonly { change_id: string }[] }[], then: unknown) => Promise<void>;
  const hub = SyncHub.prototype as unknown as Record<string, unknown>;
  const applyInOrder = method<Apply>(hub, 'applyInOrder');
  hub['applyInOrder'] = function (this: unknown, sizes, request, then) {
    const traced = () => {
      const frames = request();
      const at = now();
      for (const f of frames) writing.push([at, f.changes]);
      return frames;
    };
    return applyInOrder.call(this, sizes, traced, then);
  } as Apply;
  return {
    take: () => {
      const t: ServerTrace = { in: {}, handled: {}, finished: {}, writing: {}, ack: {}, broadcast: {} };
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
      for (const [at, text] of handled) {
        const f = parse(text);
        if (f?.type === 'client_change') for (const c of f.changes ?? []) t.handled[c.change_id] ??= at;
      }
      for (const [at, text] of finished) {
        const f = parse(text);
        if (f?.type === 'client_change') for (const c of f.changes ?? []) t.finished[c.change_id] ??= at;
      }
      for (const [at, changes] of writing) for (const c of changes) t.writing[c.change_id] ??= at;
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
      handled = [];
      finished = [];
      writing = [];
      return t;
    },
  };
}
