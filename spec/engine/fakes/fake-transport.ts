/**
 * A scripted EngineTransport for marble specs: state$ and message$ are whatever Observables the
 * spec gives (usually TestScheduler hot marbles); every `send` is recorded with its virtual time.
 */
import { BehaviorSubject, EMPTY, merge, Observable, Subject } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import type { SyncError } from '../../../lib/errors.js';
import type { EngineTransport, TransportState } from '../../../lib/engine/ports.js';
import type { ClientFrame, ServerFrame } from '../../../lib/protocol/index.js';

export interface SentFrame {
  at: number;
  frame: ClientFrame;
}

export class FakeTransport implements EngineTransport {
  readonly sent: SentFrame[] = [];
  readonly state$: Observable<TransportState>;
  readonly message$: Observable<ServerFrame>;
  readonly errors$: Observable<SyncError>;
  /** Push-style inputs for specs that script by hand instead of with marbles. */
  readonly state = new BehaviorSubject<TransportState>('closed');
  readonly messages = new Subject<ServerFrame>();
  readonly errors = new Subject<SyncError>();

  constructor(
    private readonly scheduler: SchedulerLike,
    scripted: { state$?: Observable<TransportState>; message$?: Observable<ServerFrame>; errors$?: Observable<SyncError> } = {},
  ) {
    this.state$ = scripted.state$ ?? this.state.asObservable();
    // Scripted frames and hand-pushed ones both arrive.
    this.message$ = merge(scripted.message$ ?? EMPTY, this.messages);
    this.errors$ = merge(scripted.errors$ ?? EMPTY, this.errors);
  }

  /** Times the engine asked for a fresh connection. */
  reconnects = 0;
  reconnect(): void {
    this.reconnects++;
  }

  send(frame: ClientFrame): boolean {
    this.sent.push({ at: this.scheduler.now(), frame });
    return true;
  }

  /** Sent frames of one type. */
  ofType<T extends ClientFrame['type']>(type: T): Array<{ at: number; frame: Extract<ClientFrame, { type: T }> }> {
    return this.sent.filter((s) => s.frame.type === type) as Array<{ at: number; frame: Extract<ClientFrame, { type: T }> }>;
  }

  /** `client_change` frames as [time, change_ids]. */
  changeFrames(): Array<[number, string[]]> {
    return this.ofType('client_change').map((s) => [s.at, s.frame.changes.map((c) => c.change_id)]);
  }
}
