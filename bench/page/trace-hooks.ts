/**
 * Bench-only instrumentation of a sync worker (installed by trace.worker.ts BEFORE it starts the
 * library's host, so its patches are in place when the library starts). It records, with the epoch time:
 * every text frame the worker's WebSocket sends, every frame it receives, every message the
 * worker posts to its page, and when each message from its page arrives (before the library's
 * listener runs). The hot path only pushes `[time, data]`; parsing happens when the page
 * asks for the trace, over a BroadcastChannel of its own (the library's host never sees a message
 * it does not know).
 */
import type { WorkerTrace } from '../shared/trace.js';
import { TRACE_CHANNEL_PREFIX } from './trace-hooks-channel.js';

const now = () => performance.timeOrigin + performance.now();
const sent: [number, unknown][] = [];
const received: [number, unknown][] = [];
const posted: [number, unknown][] = [];
const fromPage: [number, unknown][] = [];

/** Patch this worker's WebSocket and postMessage, and answer trace requests on its BroadcastChannel. Call once, before the host starts. */
export function installTraceHooks(): void {
  const proto = WebSocket.prototype;
  const send = proto.send;
  proto.send = function (this: WebSocket, data) {
    sent.push([now(), data]);
    return send.call(this, data);
  };
  // reconnecting-websocket's wrapper (lib/transport/gated-socket.ts) listens with addEventListener('message').
  const add = proto.addEventListener;
  const wrapped = new WeakMap<object, EventListener>();
  proto.addEventListener = function (this: WebSocket, type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions) {
    if (type !== 'message' || typeof listener !== 'function') return add.call(this, type, listener, options);
    const w: EventListener = (ev) => {
      received.push([now(), (ev as MessageEvent).data]);
      listener.call(this, ev);
    };
    wrapped.set(listener, w);
    return add.call(this, type, w, options);
  } as typeof proto.addEventListener;
  const remove = proto.removeEventListener;
  proto.removeEventListener = function (this: WebSocket, type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions) {
    return remove.call(this, type, wrapped.get(listener) ?? listener, options);
  } as typeof proto.removeEventListener;

  // The library's channel posts through `self.postMessage` (one message, or an array of one turn's messages).
  const scope = self as unknown as { postMessage(m: unknown, t?: Transferable[]): void; name: string };
  const post = scope.postMessage.bind(scope);
  scope.postMessage = (m: unknown, t?: Transferable[]) => {
    posted.push([now(), m]);
    post(m, t);
  };

  // The library's channel listens on the worker scope with addEventListener('message'): record first.
  const scopeAdd = (self as unknown as { addEventListener: typeof addEventListener }).addEventListener.bind(self);
  scopeAdd('message', (ev: Event) => void fromPage.push([now(), (ev as MessageEvent).data]));

  const channel = new BroadcastChannel(`${TRACE_CHANNEL_PREFIX}${scope.name}`);
  channel.onmessage = (e: MessageEvent<{ type?: string }>) => {
    if (e.data?.type === 'dump') channel.postMessage({ type: 'trace', trace: analyse() });
  };
}

type Change = { change_id: string; entity_id?: string; lsn?: number };

function parsed(data: unknown): { type?: string; changes?: Change[]; acks?: Change[]; client_id?: string } | null {
  if (typeof data !== 'string') return null;
  try {
    return JSON.parse(data) as ReturnType<typeof parsed>;
  } catch {
    return null;
  }
}

/** The messages of one postMessage: the library's channel sends one turn's messages as an array. */
function messagesOf(m: unknown): unknown[] {
  return Array.isArray(m) ? m : [m];
}

/** Turn the raw records into per-change times (the first time each change is seen at a point). */
function analyse(): WorkerTrace {
  const t: WorkerTrace = { clientId: null, requestIn: {}, out: {}, ackIn: {}, changesIn: {}, durable: {}, applied: {} };
  for (const [at, m] of fromPage) {
    for (const msg of messagesOf(m) as { type?: string; changes?: { entity_id?: string }[] }[]) {
      if (msg?.type !== 'change_recorded') continue;
      for (const c of msg.changes ?? []) if (typeof c?.entity_id === 'string') t.requestIn[c.entity_id] ??= at;
    }
  }
  for (const [at, data] of sent) {
    const f = parsed(data);
    if (f?.type === 'hello') t.clientId = f.client_id ?? null;
    else if (f?.type === 'client_change') for (const c of f.changes ?? []) t.out[c.change_id] ??= [at, c.entity_id ?? ''];
  }
  for (const [at, data] of received) {
    const f = parsed(data);
    if (f?.type === 'change_ack') for (const a of f.acks ?? []) t.ackIn[a.change_id] ??= at;
    else if (f?.type === 'server_changes') for (const c of f.changes ?? []) t.changesIn[c.change_id] ??= [at, c.lsn ?? NaN];
  }
  for (const [at, m] of posted) {
    for (const msg of messagesOf(m) as { type?: string; origin?: string; change_ids?: string[] }[]) {
      if (msg?.type !== 'changes_processed') continue;
      const into = msg.origin === 'local' ? t.durable : t.applied;
      for (const id of msg.change_ids ?? []) into[id] ??= at;
    }
  }
  return t;
}

