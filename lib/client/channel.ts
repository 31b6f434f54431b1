/**
 * A message channel between the main-thread client and the sync host: a real Web Worker, or the
 * same host in-process (`worker: false`). Both ends see only `post` and `messages$`, so the host
 * code and the client code do not know which one they run over.
 */
import { Observable, Subject, asapScheduler, type SchedulerLike } from 'rxjs';

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

/**
 * A channel over a Worker (main side) or a worker's global scope (worker side). Messages posted in
 * one turn travel together: the first is held until the turn ends (a microtask), then they go as
 * ONE postMessage of an array (one alone goes as itself), and the other end hands them on one by
 * one in the same task. So 10,000 `insert()` calls made at once cost the worker one message event,
 * and it can record them in one transaction (host.ts); the answers come back the same way.
 */
export function workerChannel(target: WorkerLike): Channel {
  const messages$ = new Observable<unknown>((subscriber) => {
    const listener = (e: { data: unknown }) => {
      if (!Array.isArray(e.data)) return subscriber.next(e.data);
      for (const m of e.data) subscriber.next(m);
    };
    target.addEventListener('message', listener);
    return () => target.removeEventListener('message', listener);
  });
  let held: unknown[] = [];
  const flush = (): void => {
    const out = held;
    held = [];
    if (out.length > 0) target.postMessage(out.length === 1 ? out[0] : out);
  };
  return {
    post: (message) => {
      if (held.push(message) === 1) queueMicrotask(flush);
    },
    messages$,
    terminate: () => {
      flush();
      target.terminate?.();
    },
  };
}

/**
 * Two connected in-process ends. Delivery is asynchronous (on `scheduler`, asap by default) and
 * messages are copied with structuredClone where available, so the in-process mode behaves like a
 * worker: no shared objects, no re-entrant calls. As over a worker, the messages posted in one
 * turn travel together: ONE scheduled delivery hands them on in order (one action per message made
 * 10,000 `insert()` calls at once cost the scheduler's queue O(n^2)).
 */
export function inProcessChannelPair(scheduler: SchedulerLike = asapScheduler): [Channel, Channel] {
  const toA = new Subject<unknown>();
  const toB = new Subject<unknown>();
  const copy = (m: unknown): unknown => (typeof structuredClone === 'function' ? structuredClone(m) : JSON.parse(JSON.stringify(m)));
  const end = (inbox: Subject<unknown>, outbox: Subject<unknown>, other: Subject<unknown>): Channel => {
    let held: unknown[] = [];
    const deliver = (): void => {
      const out = held;
      held = [];
      for (const m of out) outbox.next(m);
    };
    return {
      post: (message) => {
        if (held.push(copy(message)) === 1) scheduler.schedule(deliver);
      },
      messages$: inbox.asObservable(),
      terminate: () => {
        inbox.complete();
        other.complete();
      },
    };
  };
  return [end(toA, toB, toB), end(toB, toA, toA)];
}
