/** Start a server in a worker thread (server-thread.ts) and talk to it. */
import { Worker } from 'node:worker_threads';
import type { ServerTrace } from '../shared/trace.js';
import type { ServerThreadData } from './server-thread.js';

/** A server running in its own thread. */
export interface ServerHandle {
  readonly url: string;
  /** The server's current LSN. */
  lsn(): Promise<number>;
  /** The frame times recorded since the last call (null unless started with `trace: true`). */
  trace(): Promise<ServerTrace | null>;
  /** Stop the server and end the thread. */
  close(): Promise<void>;
}

/** Start a server thread; resolves once it listens. */
export async function startServerThread(data: ServerThreadData): Promise<ServerHandle> {
  // Module hooks are per thread: register tsx's loader in the thread, then load the .ts entry.
  const entry = new URL('./server-thread.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: data });
  const waiting = new Map<number, (v: unknown) => void>();
  let nextId = 1;
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: { ready?: string; id?: number; value?: unknown }) => {
      if (m.ready !== undefined) resolve(m.ready);
      else waiting.get(m.id!)?.(m.value!);
    });
  });
  const call = <T>(cmd: 'lsn' | 'close' | 'trace'): Promise<T> =>
    new Promise<T>((resolve) => {
      const id = nextId++;
      waiting.set(id, (v) => {
        waiting.delete(id);
        resolve(v as T);
      });
      worker.postMessage({ id, cmd });
    });
  return {
    url,
    lsn: () => call<number>('lsn'),
    trace: () => call<ServerTrace | null>('trace'),
    close: async () => {
      await call<number>('close');
      await worker.terminate();
    },
  };
}
