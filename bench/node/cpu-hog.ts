/**
 * A fixed CPU load for the "loaded" variants of the latency metrics: one worker thread that spins
 * in slices until stopped. On this 2-core machine it takes one core, so "loaded" means the same
 * thing in every run instead of whatever else the machine happens to be doing.
 */
import { Worker } from 'node:worker_threads';

/** A running hog. */
export interface CpuHog {
  /** Busy slices completed so far (a check that it really ran). */
  slices(): Promise<number>;
  stop(): Promise<void>;
}

// Spins for 50 ms slices; between slices it yields to its event loop so that a stop message
// (and a slice-count query) is seen within one slice.
const SOURCE = `
const { parentPort } = require('node:worker_threads');
let slices = 0;
let running = true;
parentPort.on('message', (m) => {
  if (m === 'stop') { running = false; parentPort.close(); }
  else if (m === 'slices') parentPort.postMessage(slices);
});
function spin() {
  if (!running) return;
  const end = performance.now() + 50;
  let x = 0;
  while (performance.now() < end) x = (x * 1103515245 + 12345) % 2147483648;
  slices++;
  setImmediate(spin);
}
spin();
`;

/** Start one busy thread. */
export function startCpuHog(): CpuHog {
  const worker = new Worker(SOURCE, { eval: true });
  return {
    slices: () => new Promise((resolve) => {
      worker.once('message', (n: number) => resolve(n));
      worker.postMessage('slices');
    }),
    stop: async () => {
      worker.postMessage('stop');
      await worker.terminate();
    },
  };
}
