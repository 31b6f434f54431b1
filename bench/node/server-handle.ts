/** Start a server in a worker thread (server-thread.ts) and talk to it. */
import { Worker } from 'node:worker_threads';
import type { ServerThreadData } from './server-thread.js';

/** A server running in its own thread. */
export interface ServerHandle {
  readonly url: string;
  /** The server's current LSN. */
  lsn(): Promise<number>;
  /** Stop the server and end the thread. */
  close(): Promise<void>;
}

/** Start a server thread; resolves once it listens. */
export async function startServerThread(data: ServerThreadData): Promise<ServerHandle> {
  // Module hooks are per thread: register tsx's loader in the thread, then load the .ts entry.
  const entry = new URL('./server-thread.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: data });
  const waiting = new Map<number, (v: number) => void>();
  let nextId = 1;
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: { ready?: string; id?: number; value?: number }) => {
      if (m.ready !== undefined) resolve(m.ready);
      else waiting.get(m.id!)?.(m.value!);
    });
  });
  const call = (cmd: 'lsn' | 'close'): Promise<number> =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, (v) => {
        waiting.delete(id);
        resolve(v);
      });
      worker.postMessage({ id, cmd });
    });
  return {
    url,
    lsn: () => call('lsn'),
    close: async () => {
      await call('close');
      await worker.terminate();
    },
  };
}
