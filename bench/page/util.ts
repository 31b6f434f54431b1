/** Page-side helpers: bounded waits, a typed call into a bench worker, unique names. */
import { filter, firstValueFrom, timeout, type Observable } from 'rxjs';
import type { BenchWorkerRequest } from './bench.worker.js';
import type { ApplyRun } from './worker-engine.js';

/** The first value of `source$` that satisfies `predicate`, or a rejection naming `what` after `ms`. */
export function waitFor<T>(source$: Observable<T>, predicate: (v: T) => boolean, what: string, ms = 60_000): Promise<T> {
  return firstValueFrom(
    source$.pipe(
      filter(predicate),
      timeout({ first: ms, with: () => { throw new Error(`timed out after ${ms} ms waiting for ${what}`); } }),
    ),
  );
}

let counter = 0;
/** A name unique to this page load (IndexedDB databases, client ids). */
export function uniqueName(prefix: string): string {
  counter++;
  return `${prefix}-${Math.floor(performance.timeOrigin)}-${counter}`;
}

type WithoutId<R> = R extends { id: number } ? Omit<R, 'id'> : never;

let shared: Worker | null = null;
let nextId = 1;
const waiting = new Map<number, { resolve: (r: ApplyRun) => void; reject: (e: Error) => void }>();

function benchWorker(): Worker {
  if (shared) return shared;
  const worker = new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module', name: 'bench-worker' });
  worker.onmessage = (e: MessageEvent<{ id: number; result?: ApplyRun; error?: string }>) => {
    const w = waiting.get(e.data.id);
    waiting.delete(e.data.id);
    if (e.data.error !== undefined) w?.reject(new Error(e.data.error));
    else w?.resolve(e.data.result!);
  };
  worker.onerror = (e) => {
    for (const w of waiting.values()) w.reject(new Error(`bench worker failed: ${e.message}`));
    waiting.clear();
  };
  shared = worker;
  return worker;
}

/** End the bench worker (before memory figures: its heap must not count). */
export function stopBenchWorker(): void {
  shared?.terminate();
  shared = null;
}

/**
 * Run one request in THE bench worker. One worker serves every run (engine and baselines alike),
 * so both sides run on the same warmed-up sql.js module (wasm tiered up, code JITted).
 */
export function inBenchWorker(req: WithoutId<BenchWorkerRequest>): Promise<ApplyRun> {
  const id = nextId++;
  return new Promise<ApplyRun>((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    benchWorker().postMessage({ ...req, id });
  });
}

/** Ask the Node driver for something (server LSN, seeding the server...); exposed by the driver. */
export function node<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
  const fn = (globalThis as { benchNode?: (cmd: string, args: Record<string, unknown>) => Promise<T> }).benchNode;
  if (!fn) throw new Error('benchNode is not exposed (run the page from bench/run.ts)');
  return fn(cmd, args);
}
