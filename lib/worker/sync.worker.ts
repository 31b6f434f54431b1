/**
 * The Web Worker entry: one consolidated sync worker per client. webpack 5 bundles it from
 * `new Worker(new URL('../worker/sync.worker.js', import.meta.url))` in lib/client/open-channel.ts.
 */
import { fromEvent, map } from 'rxjs';
import { workerChannel, type WorkerLike } from '../client/channel.js';
import { platformParts } from '../platform/runtime.js';
import { startSyncHost } from './host.js';

const scope = self as unknown as WorkerLike;
const online$ = fromEvent(self, 'online').pipe(map(() => true));

void platformParts().then((parts) => startSyncHost(workerChannel(scope), { ...parts, onlineEvents: online$ }));
