/**
 * Recovery when the server is behind this client. A server restored from an older backup answers
 * `hello { last_lsn }` with `error { code: 'client_ahead', lsn: server_lsn }` instead of `welcome`.
 * The client then (1) makes its own changes that were acked above `server_lsn` pending again — the
 * server lost them, and re-sending them under the same change_ids loses nothing — and moves its
 * LSN back to `server_lsn` (one store transaction), (2) reconnects, so that the next `hello`
 * carries the new LSN and catch-up follows the server's log from there (the reconnect drops the
 * frames the transport still held: a `client_change` buffered before would otherwise reach the
 * server ahead of the changes made pending again here, out of its row's order), and (3) reports it on
 * errors$ (CLIENT_AHEAD), never silently.
 */
import { filter, map, type Observable, type SchedulerLike } from 'rxjs';
import { ErrorCodes, SyncError } from '../errors.js';
import type { ErrorFrame, ServerFrame } from '../protocol/index.js';
import type { EngineEvent } from './events.js';
import type { EngineStore, EngineTransport } from './ports.js';

/** The frame that says the server is behind, with its LSN. */
export function isClientAhead(f: ServerFrame): f is ErrorFrame & { lsn: number } {
  return f.type === 'error' && f.code === ErrorCodes.CLIENT_AHEAD && f.lsn !== undefined;
}

/** What the resync needs. */
export interface ResyncDeps {
  store: Pick<EngineStore, 'getLsn' | 'resyncFrom'>;
  transport: Pick<EngineTransport, 'reconnect'>;
  scheduler: SchedulerLike;
}

/** The resync pipeline: subscribe to run it. Emits one error event per resync. */
export function resyncWhenServerBehind(message$: Observable<ServerFrame>, deps: ResyncDeps): Observable<EngineEvent> {
  return message$.pipe(
    filter(isClientAhead),
    map((f): EngineEvent => {
      const was = deps.store.getLsn();
      if (f.lsn >= was) {
        // Not behind us after all (a late or confused frame): report it, change nothing.
        return { type: 'error', error: new SyncError(ErrorCodes.CLIENT_AHEAD, `server error client_ahead: ${f.message}`, { lsn: f.lsn }) };
      }
      const resent = deps.store.resyncFrom(f.lsn, deps.scheduler.now());
      deps.transport.reconnect?.();
      const msg = `server is at LSN ${f.lsn} but this client was at ${was}: following the server from ${f.lsn}, ${resent} acked change(s) will be sent again`;
      return { type: 'error', error: new SyncError(ErrorCodes.CLIENT_AHEAD, msg, { lsn: f.lsn }) };
    }),
  );
}
