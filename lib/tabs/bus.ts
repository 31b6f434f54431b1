/**
 * The tabs' message bus: a BroadcastChannel per database name. Every incoming message is checked
 * (bus-messages.ts); one that does not decode (another library version, garbage) is dropped.
 */
import { Observable, share } from 'rxjs';
import { checkBusEnvelope, type BusEnvelope } from './bus-messages.js';

/** What the bus needs of a BroadcastChannel (typed structurally: no DOM lib needed). */
export interface BroadcastLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
  close(): void;
}

/** One tab's end of the bus. */
export interface TabBus {
  post(envelope: BusEnvelope): void;
  /** Decoded messages of the other tabs (a BroadcastChannel does not hear itself). */
  readonly messages$: Observable<BusEnvelope>;
  close(): void;
}

/** A bus over a BroadcastChannel-like object. */
export function tabBus(channel: BroadcastLike): TabBus {
  let closed = false;
  const messages$ = new Observable<BusEnvelope>((sub) => {
    const listener = (e: { data: unknown }) => {
      const envelope = checkBusEnvelope(e.data);
      if (envelope) sub.next(envelope);
    };
    channel.addEventListener('message', listener);
    return () => channel.removeEventListener('message', listener);
  }).pipe(share());
  return {
    post: (envelope) => {
      if (!closed) channel.postMessage(envelope);
    },
    messages$,
    close: () => {
      closed = true;
      channel.close();
    },
  };
}
