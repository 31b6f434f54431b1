/**
 * The bench page: exposes `globalThis.bench.<metric>(params)` for the Node driver (bench/run.ts)
 * to call through Playwright; each resolves to the raw figures of ONE run, the driver aggregates.
 */
import { applyServerBatch, rawBulk } from './apply.js';
import { catchUp, killAndResend } from './catchup.js';
import { endToEnd } from './e2e.js';
import { relayLatency } from './e2e-raw.js';
import { memoryHistory, memoryIdle, memoryNoClient, memoryPending, workerBytes } from './memory.js';
import { bulkRecord, echoLatency, recordLatency } from './record.js';
import { stopBenchWorker } from './util.js';

const bench = { applyServerBatch, rawBulk, recordLatency, echoLatency, bulkRecord, endToEnd, relayLatency, catchUp, killAndResend, memoryNoClient, memoryIdle, memoryHistory, memoryPending, workerBytes, stopBenchWorker: async () => stopBenchWorker() };

/** The page's bench functions, by name. */
export type BenchPage = typeof bench;

Object.assign(globalThis, { bench, benchReady: true });
