/**
 * apply_server_batch, engine side (runs in a dedicated bench worker): the REAL sync engine over
 * the REAL sql.js store, fed `server_changes` frames as the transport would: each frame's JSON
 * text is decoded with the client's codecs (schema-checked) and handed to the engine's
 * `message$`. The engine applies each batch in one transaction (local_changes rows, entity
 * writes, LSN), acks it, and the store journals it; the clock stops when every batch is applied
 * and durable.
 */
import { BehaviorSubject, NEVER, Subject, asyncScheduler } from 'rxjs';
import { isLeft } from 'fp-ts/lib/Either.js';
import { createSyncEngine, type EngineTransport, type LocalChange, type TransportState } from '../../lib/engine/index.js';
import { decodeServerFrame, type ClientFrame, type ServerFrame } from '../../lib/protocol/index.js';
import { memoryPersistence, openStore } from '../../lib/store/index.js';
import { BENCH_SCHEMA } from '../shared/data.js';
import { yieldMacrotask } from './yield.js';

/** One timed run. */
export interface ApplyRun {
  changes: number;
  ms: number;
}

/** Apply `frames` (JSON text, consecutive LSNs from 0) through a fresh engine + store. */
export async function engineApply(frames: readonly string[]): Promise<ApplyRun> {
  const store = await openStore({ schema: BENCH_SCHEMA, persistence: memoryPersistence() });
  // The store's own schema object, as the worker hands it to its transport (worker/host.ts): a
  // frame the decoder checked is then not checked again by the store (protocol/checked.ts).
  const schema = store.schema;
  const message$ = new Subject<ServerFrame>();
  const acks: number[] = [];
  const transport: EngineTransport = {
    state$: new BehaviorSubject<TransportState>('open'),
    message$,
    errors$: NEVER,
    send: (frame: ClientFrame) => {
      if (frame.type === 'ack') acks.push(frame.lsn);
      return true;
    },
  };
  const engine = createSyncEngine({
    store, transport, localChanges$: new Subject<readonly LocalChange[]>(), scheduler: asyncScheduler, random: Math.random,
    clock: () => performance.now(),
  });
  const errors: string[] = [];
  const sub = engine.errors$.subscribe((e) => errors.push(e.message));
  engine.start();
  message$.next({ type: 'welcome', server_lsn: 0 });
  let changes = 0;
  const t0 = performance.now();
  for (const text of frames) {
    const decoded = decodeServerFrame(text, { schema });
    if (isLeft(decoded)) throw new Error(`bench frame did not decode: ${decoded.left.message}`);
    const frame = decoded.right;
    if (frame.type === 'server_changes') changes += frame.changes.length;
    message$.next(frame);
    // Frames arrive as separate socket events: let each one end its turn.
    await yieldMacrotask();
  }
  await store.whenDurable();
  const ms = performance.now() - t0;
  // Acks are coalesced (ackDelay): stopping sends the one still waiting.
  engine.stop();
  const lastLsn = acks[acks.length - 1] ?? 0;
  sub.unsubscribe();
  await store.close();
  if (errors.length > 0) throw new Error(`engine errors: ${errors.slice(0, 3).join('; ')}`);
  if (lastLsn !== changes) throw new Error(`engine acked lsn ${lastLsn}, expected ${changes}`);
  return { changes, ms };
}
