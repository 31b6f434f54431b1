/**
 * The dial gate: the ONE place that decides when the next socket may be dialled.
 *
 * reconnecting-websocket (RWS) re-creates its socket right after every close (we configure it
 * with zero delays), but the socket it creates is a {@link createGatedSocketClass} wrapper that
 * only dials the real WebSocket once this gate gives it a permit. So the timing — full-jitter
 * backoff from the injected random source, the auth wait, `connect()` / `disconnect()`, the
 * `online` shortcut — lives here, on the injected scheduler, and RWS's own `Math.random()`
 * delays and timers never decide anything.
 *
 * The wait starts when a connection ends (not when RWS gets round to creating the next
 * wrapper), so delays are exact in virtual time.
 */
import { BehaviorSubject, filter, map, take, tap, timer, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { backoffDelay } from '../engine/backoff.js';
import type { BackoffPolicy } from '../engine/config.js';

/** What the gate needs. */
export interface DialGateOptions {
  /** Clock of the waits. */
  scheduler: SchedulerLike;
  /** Jitter source in [0, 1). */
  random: () => number;
  /** Backoff of retries after a failed dial or a dropped connection. */
  backoff: BackoffPolicy;
  /** Wait after an auth rejection; `Infinity` = until {@link DialGate.release}. */
  authRetryDelay: number;
}

/** A pending wait: why, and the timer that ends it. */
interface Wait {
  kind: 'backoff' | 'auth';
  timer: Subscription | null;
}

/** Decides when the next dial may happen. */
export class DialGate {
  /** `held`: nothing dials until release() (initial state, and after disconnect()). */
  private held = true;
  /** Retries since the last `welcome` (0 = the connection was healthy). */
  private retries = 0;
  private wait: Wait | null = null;
  private readonly permit$ = new BehaviorSubject<boolean>(false);

  constructor(private readonly options: DialGateOptions) {}

  /** Emits once when a dial is allowed, and takes the permit (one permit, one dial). */
  permit(): Observable<void> {
    return this.permit$.pipe(
      filter((granted) => granted),
      take(1),
      tap(() => this.permit$.next(false)),
      map(() => undefined),
    );
  }

  /** `connect()`: lift a hold, end any wait (auth included) and allow a dial now. */
  release(): void {
    this.held = false;
    this.endWait();
    this.permit$.next(true);
  }

  /** `disconnect()`: no dial until {@link release}. */
  hold(): void {
    this.held = true;
    this.endWait();
    this.permit$.next(false);
  }

  /**
   * A dial failed or a connection dropped: allow the next dial after the next backoff delay.
   * Returns that delay (ms), or null while held.
   */
  retryLater(): number | null {
    if (this.held) return null;
    this.retries += 1;
    const delay = backoffDelay(this.retries, this.options.backoff, this.options.random);
    this.startWait('backoff', delay);
    return delay;
  }

  /** The server refused the token: wait the (long) auth delay, immune to `online` events. */
  authRejected(): number | null {
    if (this.held) return null;
    this.retries += 1;
    this.startWait('auth', this.options.authRetryDelay);
    return this.options.authRetryDelay;
  }

  /** Handshake done: the next drop starts again from the first (shortest) backoff. */
  welcomed(): void {
    this.retries = 0;
  }

  /** The network came back: a backoff wait ends now (an auth wait does not: the token is still bad). */
  online(): void {
    if (this.wait?.kind !== 'backoff') return;
    this.endWait();
    this.permit$.next(true);
  }

  /** Stop for good. */
  dispose(): void {
    this.hold();
    this.permit$.complete();
  }

  private startWait(kind: Wait['kind'], delay: number): void {
    this.endWait();
    this.permit$.next(false);
    // Infinity: no timer at all, only release() ends the wait.
    const ends = Number.isFinite(delay)
      ? timer(delay, this.options.scheduler).subscribe(() => {
          this.wait = null;
          this.permit$.next(true);
        })
      : null;
    // A zero delay may have fired synchronously already: then there is no wait left.
    this.wait = ends === null || !ends.closed ? { kind, timer: ends } : null;
  }

  private endWait(): void {
    this.wait?.timer?.unsubscribe();
    this.wait = null;
  }
}
