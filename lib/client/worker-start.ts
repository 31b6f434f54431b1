/**
 * A worker that cannot start is never silent. A module worker whose script 404s, fails to parse or
 * throws while loading fires `error` on the Worker object (and nothing else: no message ever comes);
 * a message that cannot be deserialised fires `messageerror`. This turns those events into typed
 * {@link SyncError}s that say which script failed and what to do about it.
 */
import { ErrorCodes, SyncError } from '../errors.js';

/** Where the worker came from, for the message (the Worker object itself does not know its URL). */
export type WorkerSource = 'bundled' | 'app';

/** What the app can do when the worker does not start. */
const ADVICE =
  "If your bundler does not bundle a worker that lives inside a dependency (the Angular CLI does not), add src/app/sync.worker.ts " +
  "containing `import 'rx-sync-worker/worker-entry';` and pass `worker: () => new Worker(new URL('./sync.worker', import.meta.url), { type: 'module' })`.";

/** A short name of the script a worker source loads (with its URL where it can be known). */
export function describeWorkerSource(source: WorkerSource): string {
  if (source === 'app') return 'the worker your `worker` option started';
  const url = unbundledWorkerUrl();
  return `the library's own worker (new URL('../worker/sync.worker.js', import.meta.url) inside rx-sync-worker${url ? `, here ${url}` : ''})`;
}

/**
 * The URL the library's worker has when a bundler left `new URL(...)` alone (the case that 404s).
 * Built from parts so that no bundler mistakes it for an asset; a bundler that rewrites
 * `import.meta.url` into a file: URL has bundled the worker, and then there is nothing to name.
 */
function unbundledWorkerUrl(): string | undefined {
  try {
    const base = String(import.meta.url);
    return /^https?:/.test(base) ? new URL(['..', 'worker', 'sync.worker.js'].join('/'), base).href : undefined;
  } catch {
    return undefined;
  }
}

/** The error for a worker `error` / `messageerror` event before `ready`. */
export function workerStartError(source: WorkerSource, event: WorkerFailureEvent): SyncError {
  const where = event.filename ? ` at ${event.filename}${event.lineno ? `:${event.lineno}` : ''}` : '';
  const what =
    event.type === 'messageerror'
      ? `a message from ${describeWorkerSource(source)} could not be deserialised`
      : event.message
        ? `${describeWorkerSource(source)} failed${where}: ${event.message}`
        : `${describeWorkerSource(source)} did not load (its script is missing, 404, or not JavaScript)${where}`;
  return new SyncError(ErrorCodes.WORKER_START, `the sync worker could not start: ${what}. ${source === 'bundled' ? ADVICE : 'Check that its URL serves the script that imports rx-sync-worker/worker-entry.'}`);
}

/** The error when no `ready` arrived in time. */
export function startTimeoutError(ms: number, source: WorkerSource | 'in-process'): SyncError {
  const advice =
    source === 'bundled'
      ? ADVICE
      : source === 'app'
        ? 'Check that the worker file your `worker` option starts imports rx-sync-worker/worker-entry (and that the import is not dropped), and look for errors in its console.'
        : 'Check the console for errors of the in-process host.';
  return new SyncError(
    ErrorCodes.WORKER_START,
    `the sync ${source === 'in-process' ? 'host' : 'worker'} sent no \`ready\` within ${ms} ms (startTimeout): its script or the sql.js wasm may be loading very slowly, hanging, or not starting the host. ${advice}`,
  );
}

/** A worker failure event, as the client needs it. */
export type WorkerFailureEvent = { type: string; message?: string; filename?: string; lineno?: number };

/** Minimal view of a Worker's failure events. */
export interface WorkerEvents {
  addEventListener(type: 'error' | 'messageerror', listener: (e: Event) => void): void;
}

/** Call `report` with every `error` / `messageerror` event of a worker. */
export function watchWorker(worker: WorkerEvents, report: (e: WorkerFailureEvent) => void): void {
  const listener = (e: Event) => {
    // The default handler would only log "Uncaught ..." to the console: the error is ours to report.
    e.preventDefault?.();
    report(e as ErrorEvent);
  };
  worker.addEventListener('error', listener);
  worker.addEventListener('messageerror', listener);
}

/** An `error` event after `ready`: an uncaught exception inside the running worker. */
export function workerRuntimeError(event: WorkerFailureEvent): SyncError {
  return new SyncError(ErrorCodes.INTERNAL, `uncaught ${event.type} in the sync worker: ${event.message ?? 'no message'}`);
}
