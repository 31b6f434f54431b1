/**
 * A client whose journal write can be made to fail (issue 14, the `journal_fail` fault): the
 * sync host runs in this process, as with `worker: false`, but on a persistence the suite holds
 * (`ProbePersistence` of spec/store/helpers.ts over a memory medium; `failNext` makes the next
 * append reject once, the fault the single spec client/journal-failure.node.spec.ts injects).
 * The host reaches createSyncClient through the public `worker: () => SyncWorkerHandle` option,
 * so the client under test is the public one, unchanged.
 */
import WebSocket from 'ws';
import type { SyncWorkerHandle } from '../../../lib/client/options.js';
import { inProcessChannelPair } from '../../../lib/client/channel.js';
import { createMemoryMedium, memoryPersistence, type MemoryMedium } from '../../../lib/store/persistence.js';
import type { WebSocketConstructor } from '../../../lib/transport/index.js';
import { startSyncHost, type HostRuntime } from '../../../lib/worker/host.js';
import { openStore } from '../../../lib/store/index.js';
import { ProbePersistence } from '../../store/helpers.js';
import { TEST_SCHEMA } from '../../support/schema.js';

/** ProbePersistence that also counts the appends it failed. */
export class CountingProbe extends ProbePersistence {
  /** Appends that rejected because a failure was armed. */
  failures = 0;
  readonly medium: MemoryMedium;

  constructor(medium: MemoryMedium = createMemoryMedium()) {
    super(memoryPersistence(medium));
    this.medium = medium;
  }

  /** Make the next journal append reject once. */
  arm(): void {
    this.failNext = new Error('journal write failed (injected by the fault schedule)');
  }

  /** Forget an armed failure no append reached (before the schedule heals). */
  disarm(): void {
    this.failNext = null;
  }

  override append(frames: Uint8Array): Promise<void> {
    if (this.failNext) this.failures++;
    return super.append(frames);
  }
}

/** `worker` option of createSyncClient: the host in-process, on the probe's persistence. */
export function probeWorker(probe: CountingProbe, logSink?: HostRuntime['logSink']): () => SyncWorkerHandle {
  return () => {
    const [mine, host] = inProcessChannelPair();
    startSyncHost(host, { WebSocket: WebSocket as unknown as WebSocketConstructor, persistence: probe, ...(logSink && { logSink }) });
    const listeners = new Map<(event: { data: unknown }) => void, { unsubscribe(): void }>();
    return {
      postMessage: (message) => mine.post(message),
      addEventListener: (type, listener) => {
        // Only messages: an in-process host raises no worker `error` events.
        if (type === 'message') listeners.set(listener, mine.messages$.subscribe((data) => listener({ data })));
      },
      removeEventListener: (_type, listener) => {
        listeners.get(listener)?.unsubscribe();
        listeners.delete(listener);
      },
      terminate: () => mine.terminate(),
    };
  };
}

/**
 * The local history as the probe's medium holds it (a fresh store opened on it once the client
 * closed): a change whose journal write failed was kept, so it must be there too.
 */
export async function durableHistory(probe: CountingProbe): Promise<string[]> {
  const store = await openStore({ schema: TEST_SCHEMA, persistence: memoryPersistence(probe.medium) });
  try {
    return store.query(`SELECT change_id FROM local_changes WHERE origin = 'local' ORDER BY seq`).map((r) => String(r['change_id']));
  } finally {
    await store.close();
  }
}
