/**
 * The Web Worker entry: one consolidated sync worker per client. webpack 5 and Vite bundle it from
 * `new Worker(new URL('../worker/sync.worker.js', import.meta.url))` in lib/client/open-channel.ts.
 */
import { startWorker } from './start-worker.js';

startWorker();
