/**
 * A message channel between the main-thread client and the sync host: a real Web Worker, or the
 * same host in-process (`worker: false`). Both ends see only `post` and `messages$`, so the host
 * code and the client code do not know which one they run over.
 */
import { Observable, Subject, asapScheduler, type SchedulerLike } from 'rxjs';
import { observeOn } from 'rxjs/operators';

/** One end of a channel. */
export interface Channel {
  /** Send a message to the other end (structured-clone semantics: send plain data only). */
  post(message: unknown): void;
  /** Messages from the other end. */
  readonly messages$: Observable<unknown>;
  /** Tear the channel down (terminates a worker). */
  terminate(): void;
}

/** Minimal view of a Worker (or worker global scope) that {@link workerChannel} needs. */
export interface WorkerLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
  terminate?(): void;
}

/** A channel over a Worker (main side) or a worker's global scope (worker side). */
export function workerChannel(target: WorkerLike): Channel {
  const messages$ = new Observable<unknown>((subscriber) => {
    const listener = (e: { data: unknown }) => subscriber.next(e.data);
    target.addEventListener('message', listener);
    return () => target.removeEventListener('message', listener);
  });
  return {
    post: (message) => target.postMessage(message),
    messages$,
    terminate: () => target.terminate?.(),
  };
}

/**
 * Two connected in-process ends. Delivery is asynchronous (on `scheduler`, asap by default) and
 * messages are copied with structuredClone where available, so the in-process mode behaves like a
 * worker: no shared objects, no re-entrant calls.
 */
export function inProcessChannelPair(scheduler: SchedulerLike = asapScheduler): [Channel, Channel] {
  const toA = new Subject<unknown>();
  const toB = new Subject<unknown>();
  const copy = (m: unknown): unknown => (typeof structuredClone === 'function' ? structuredClone(m) : JSON.parse(JSON.stringify(m)));
  const end = (inbox: Subject<unknown>, outbox: Subject<unknown>, other: Subject<unknown>): Channel => ({
    post: (message) => outbox.next(copy(message)),
    messages$: inbox.pipe(observeOn(scheduler)),
    terminate: () => {
      inbox.complete();
      other.complete();
    },
  });
  return [end(toA, toB, toB), end(toB, toA, toA)];
}
