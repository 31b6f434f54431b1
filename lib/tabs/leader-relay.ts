/**
 * The leader tab's side of the relay: ONE engine (the tab's sync worker) serves this tab's client
 * and every follower's. Request ids are remapped to the worker's own numbering and the answers go
 * back to whoever asked; status, errors and changes_processed go to this tab's client AND, as bus
 * events, to every follower (a write's answer also becomes an event for the other tabs, so their
 * live queries re-run). Requests wait until the worker is `ready`.
 */
import type { Channel } from '../client/channel.js';
import type { WorkerOptions } from '../protocol/index.js';
import type { TabBus } from './bus.js';

/** Who asked: this tab's own client, or a follower tab by id. */
type Origin = { self: true } | { self: false; tab: string };

/** What the worker said in `ready`. */
export interface EngineInfo {
  readonly client_id: string;
  readonly lsn: number;
  readonly epoch: number;
}

/** Hooks of a {@link LeaderRelay}. */
export interface RelayHooks {
  /** A message for this tab's own client (an answer with the client's own id, or an event). */
  toSelf(msg: WorkerMsg): void;
  /** The worker is ready (or failed to start: `error`). */
  ready(info: EngineInfo): void;
  failed(error: unknown): void;
}

/** A protocol message, as far as the relay looks into it. */
export type WorkerMsg = { type: string; id?: number; [k: string]: unknown };

/** Most requests a relay holds for a worker that is not ready yet. */
const MAX_WAITING = 10_000;

/** Relays between one worker and the tabs. */
export class LeaderRelay {
  private nextId = 1;
  private readonly routes = new Map<number, { origin: Origin; id: number }>();
  private waiting: { origin: Origin; msg: WorkerMsg }[] = [];
  private info: EngineInfo | null = null;
  /** The latest status and metrics, for a follower that joins (the client replays the latest of each). */
  private readonly latest = new Map<string, WorkerMsg>();
  private readonly initId: number;
  private closing = false;

  constructor(private readonly worker: Channel, private readonly bus: TabBus, private readonly tab: string, options: WorkerOptions, private readonly hooks: RelayHooks) {
    worker.messages$.subscribe((m) => this.fromWorker(m as WorkerMsg));
    this.initId = this.nextId++;
    worker.post({ type: 'init', id: this.initId, options });
  }

  /** The engine's identity once ready. */
  engine(): EngineInfo | null {
    return this.info;
  }

  /** A request or command from this tab's client. */
  fromSelf(msg: WorkerMsg): void {
    if (msg.type === 'close') this.closing = true;
    this.submit({ self: true }, msg);
  }

  /** A request or command from a follower tab. */
  fromTab(tab: string, msg: WorkerMsg): void {
    if (this.closing || msg.type === 'close') return;
    if (msg.type === 'init') {
      // The follower shares this engine: it gets the engine's identity and the current status.
      if (!this.info) return void this.waiting.push({ origin: { self: false, tab }, msg });
      this.answer(tab, { type: 'ready', id: msg.id, client_id: this.info.client_id, lsn: this.info.lsn, epoch: this.info.epoch });
      for (const m of this.latest.values()) this.answer(tab, m);
      return;
    }
    if (msg.type === 'token_response') return;
    this.submit({ self: false, tab }, msg);
  }

  terminate(): void {
    this.worker.terminate();
  }

  private submit(origin: Origin, msg: WorkerMsg): void {
    if (!this.info) {
      if (this.waiting.length < MAX_WAITING) this.waiting.push({ origin, msg });
      return;
    }
    if (origin.self && msg.type === 'init') return;
    if (typeof msg.id !== 'number' || msg.type === 'token_response') return void this.worker.post(msg);
    const id = this.nextId++;
    this.routes.set(id, { origin, id: msg.id });
    this.worker.post({ ...msg, id });
  }

  private fromWorker(m: WorkerMsg): void {
    if (m.id === this.initId && (m.type === 'ready' || m.type === 'error')) return this.started(m);
    if (m.type === 'token_request') return this.hooks.toSelf(m);
    const route = typeof m.id === 'number' ? this.routes.get(m.id) : undefined;
    if (!route) {
      // An event of the engine: every tab hears it.
      if (m.type === 'status' || m.type === 'metrics') this.latest.set(m.type, m);
      this.hooks.toSelf(m);
      this.bus.post({ rsw: 1, kind: 'event', from: this.tab, msg: m });
      return;
    }
    this.routes.delete(m.id!);
    const answer = { ...m, id: route.id };
    if (route.origin.self) this.hooks.toSelf(answer);
    else this.answer(route.origin.tab, answer);
    if (m.type === 'changes_processed') {
      // A write of one tab is news for the others' live queries.
      const { id: _id, ...event } = m;
      if (!route.origin.self) this.hooks.toSelf(event);
      this.bus.post({ rsw: 1, kind: 'event', from: this.tab, msg: event, ...(!route.origin.self && { except: route.origin.tab }) });
    }
  }

  private started(m: WorkerMsg): void {
    if (m.type === 'error') return this.hooks.failed(m.error);
    this.info = { client_id: String(m.client_id), lsn: Number(m.lsn), epoch: typeof m.epoch === 'number' ? m.epoch : 0 };
    this.hooks.ready(this.info);
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) {
      if (w.origin.self) this.submit(w.origin, w.msg);
      else this.fromTab(w.origin.tab, w.msg);
    }
  }

  private answer(tab: string, msg: WorkerMsg): void {
    this.bus.post({ rsw: 1, kind: 'answer', from: this.tab, to: tab, msg });
  }
}
