/**
 * Request/response over a {@link Channel}: every request gets an `id`; the worker's answer with the
 * same `id` settles it (an `error` answer rejects with the SyncError it carries). Messages without a
 * pending `id` (status, server `changes_processed`, errors, token requests) go to `events$`.
 * Every incoming message is checked (see worker-message.ts: the envelope; no io-ts on the main
 * thread); one that fails is reported on `events$` as an `error` message and changes nothing else.
 */
import { Observable, Subject, share } from 'rxjs';
import { ErrorCodes, SyncError, fromSerialized } from '../errors.js';
import type { MainToWorker, WorkerToMain } from '../protocol/index.js';
import type { Channel } from './channel.js';
import { checkWorkerMessage } from './worker-message.js';

/** A request as the caller writes it: the id is added here. */
type WithoutId<M> = M extends { id: number } ? Omit<M, 'id'> : never;
export type RequestMsg = WithoutId<Extract<MainToWorker, { id: number }>>;

interface Waiter {
  resolve(msg: WorkerToMain): void;
  reject(error: SyncError): void;
}

/** The main-thread side of the worker protocol. */
export class RpcClient {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private readonly eventsSubject = new Subject<WorkerToMain>();
  private closedError: SyncError | null = null;
  /** Messages that are not answers to a request. */
  readonly events$: Observable<WorkerToMain> = this.eventsSubject.pipe(share());

  constructor(private readonly channel: Channel) {
    channel.messages$.subscribe({
      next: (raw) => this.receive(raw),
      complete: () => this.fail(new SyncError(ErrorCodes.CLOSED, 'the sync worker is gone')),
    });
  }

  /** Send a request and wait for its answer. */
  request<R extends WorkerToMain = WorkerToMain>(msg: RequestMsg): Promise<R> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (m: WorkerToMain) => void, reject });
      this.channel.post({ ...msg, id });
    });
  }

  /** Send a message that has no answer (connect, disconnect, token_response). */
  send(msg: MainToWorker): void {
    if (!this.closedError) this.channel.post(msg);
  }

  /** Reject everything still waiting and refuse new requests. */
  fail(error: SyncError): void {
    if (this.closedError) return;
    this.closedError = error;
    for (const w of this.waiting.values()) w.reject(error);
    this.waiting.clear();
    this.eventsSubject.complete();
  }

  private receive(raw: unknown): void {
    const msg = checkWorkerMessage(raw);
    if (msg instanceof SyncError) {
      this.eventsSubject.next({ type: 'error', error: msg.toJSON() });
      return;
    }
    const id = 'id' in msg && msg.type !== 'token_request' ? msg.id : undefined;
    const waiter = id === undefined ? undefined : this.waiting.get(id);
    if (id === undefined || !waiter) {
      this.eventsSubject.next(msg);
      return;
    }
    this.waiting.delete(id);
    if (msg.type === 'error') waiter.reject(fromSerialized(msg.error as Parameters<typeof fromSerialized>[0]));
    else waiter.resolve(msg);
    // The answer to a local write is also news for live queries (query$ re-runs on changes_processed).
    if (msg.type === 'changes_processed') this.eventsSubject.next(msg);
  }
}
