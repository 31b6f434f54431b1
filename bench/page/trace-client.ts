/**
 * Page side of the per-stage trace: start a traced sync worker (trace.worker.ts) for
 * `createSyncClient`'s public `worker` option, and ask it for its records over its BroadcastChannel.
 */
import type { WorkerTrace } from '../shared/trace.js';
import { TRACE_CHANNEL_PREFIX } from './trace-hooks-channel.js';

/** A `worker` option for createSyncClient: the library's worker, instrumented, named `name`. */
export function tracedWorker(name: string): () => Worker {
  return () => new Worker(new URL('./trace.worker.ts', import.meta.url), { type: 'module', name });
}

/** The records of the traced worker named `name` (it must still run: ask before closing its client). */
export function takeWorkerTrace(name: string, ms = 10_000): Promise<WorkerTrace> {
  const channel = new BroadcastChannel(`${TRACE_CHANNEL_PREFIX}${name}`);
  return new Promise<WorkerTrace>((resolve, reject) => {
    const timer = setTimeout(() => {
      channel.close();
      reject(new Error(`traced worker ${name} did not answer within ${ms} ms`));
    }, ms);
    channel.onmessage = (e: MessageEvent<{ type?: string; trace?: WorkerTrace }>) => {
      if (e.data?.type !== 'trace') return;
      clearTimeout(timer);
      channel.close();
      resolve(e.data.trace!);
    };
    channel.postMessage({ type: 'dump' });
  });
}
