/**
 * Many tabs, one database: the {@link Channel} a client talks over when tabs share a database.
 * To the client it looks like its own worker; behind it, this tab either LEADS (its worker owns
 * the sql.js database, the journal and the socket, and serves the other tabs through a
 * {@link LeaderRelay}) or FOLLOWS (every request goes over the bus to the leader tab). The role
 * comes from the Web Locks election (election.ts) through the pure machine of role-machine.ts.
 *
 * Nothing a client asked for is lost in a failover: it waits in flight (in-flight.ts) until the
 * current leader answers it, and goes again to each new leader. `status.role` says which role this
 * tab has.
 */
import { Subject, interval, type Subscription } from 'rxjs';
import { ErrorCodes } from '../errors.js';
import type { Channel } from '../client/channel.js';
import type { SyncStatusWire, WorkerOptions } from '../protocol/index.js';
import { tabBus, type TabBus } from './bus.js';
import type { BusEnvelope } from './bus-messages.js';
import { Election } from './election.js';
import { InFlight } from './in-flight.js';
import { LeaderRelay, type WorkerMsg } from './leader-relay.js';
import { Standby } from './standby.js';
import type { TabsOptions, TabsRuntime } from './options.js';
import { initialRole, stepRole, type RoleEvent, type RoleState } from './role-machine.js';

/** Open the tabs channel of one database. `openEngine` starts this tab's own worker when it leads. */
export function tabChannel(dbName: string, options: TabsOptions, openEngine: () => Promise<Channel>, runtime: TabsRuntime): Channel {
  return new TabChannel(dbName, options, openEngine, runtime);
}

class TabChannel implements Channel {
  private readonly out = new Subject<unknown>();
  readonly messages$ = this.out.asObservable();
  readonly tab: string;
  private state: RoleState;
  private readonly stealAfter: number;
  private readonly bus: TabBus;
  private readonly election: Election;
  private readonly subs: Subscription[] = [];
  /** The client's requests and commands no leader has answered or taken yet. */
  private readonly requests = new InFlight(() => this.runtime.newId());
  private init: WorkerMsg | null = null;
  private initAnswered = false;
  private closeId: number | null = null;
  private relay: LeaderRelay | null = null;
  private engineGen = 0;
  private readonly standby: Standby;
  private status: SyncStatusWire | null = null;
  /** When this tab's heartbeat timer last ran: a page whose timers stopped (frozen) stops answering. */
  private lastBeat: number;

  constructor(dbName: string, options: TabsOptions, openEngine: () => Promise<Channel>, private readonly runtime: TabsRuntime) {
    this.tab = runtime.newId();
    this.stealAfter = options.stealAfter ?? 5000;
    this.standby = new Standby(options.standby ?? true, openEngine);
    const heartbeat = Math.min(options.heartbeat ?? 1000, Math.max(1, Math.floor(this.stealAfter / 2)));
    this.state = initialRole(this.now());
    this.lastBeat = this.now();
    this.bus = tabBus(runtime.openBus(`rx-sync-worker:tabs:${dbName}`));
    this.election = new Election(runtime.locks, `rx-sync-worker:${dbName}`, {
      granted: () => this.step({ type: 'lock_granted', now: this.now() }),
      lost: () => this.step({ type: 'lock_lost', now: this.now() }),
    });
    this.subs.push(
      this.bus.messages$.subscribe((env) => this.fromBus(env)),
      interval(heartbeat, runtime.scheduler).subscribe(() => this.beat()),
    );
    this.election.request();
    this.ping();
  }

  post(message: unknown): void {
    const msg = message as WorkerMsg;
    if (msg.type === 'init') {
      this.init = msg;
      if (this.state.role === 'leader') this.startEngine();
      else {
        this.prepareStandby();
        this.answerInit();
      }
    } else if (msg.type === 'close' && typeof msg.id === 'number') {
      this.close(msg.id);
    } else if (msg.type === 'token_response') {
      this.relay?.fromSelf(msg);
    } else {
      const refused = this.requests.take(msg, (m) => this.sendNow(m));
      if (refused !== null) this.out.next(refused);
    }
  }

  terminate(): void {
    this.stop();
    this.out.complete();
  }

  /** The app schema version this tab's client runs (from its init; 1 until then). */
  private schemaVersion(): number {
    return (this.init?.options as WorkerOptions | undefined)?.schemaVersion ?? 1;
  }

  private now(): number {
    return this.runtime.scheduler.now();
  }

  private step(event: RoleEvent): void {
    const before = this.state.role;
    const { state, actions } = stepRole(this.state, event, { stealAfter: this.stealAfter, schemaVersion: this.schemaVersion() });
    this.state = state;
    for (const action of actions) {
      if (action === 'start_engine') this.startEngine();
      else if (action === 'stop_engine') this.stopEngine();
      else if (action === 'request_lock') this.election.request();
      else if (action === 'steal') this.election.request(true);
      else if (action === 'announce') this.announce();
      else if (action === 'resend') this.resend();
      else if (action === 'role_changed' && before !== state.role) this.emitStatus();
    }
  }

  private startEngine(): void {
    // The old leader's status says nothing about this tab's engine, which is not even open yet.
    this.status = null;
    if (!this.init || this.relay) return;
    const gen = ++this.engineGen;
    const options = this.init.options as WorkerOptions;
    this.standby.take().then(
      (worker) => {
        if (gen !== this.engineGen || this.state.role !== 'leader') return worker.terminate();
        this.relay = new LeaderRelay(worker, this.bus, this.tab, options, {
          toSelf: (m) => {
            if (gen === this.engineGen) this.fromRoute(m);
          },
          ready: (info) => this.step({ type: 'engine_ready', epoch: info.epoch, now: this.now() }),
          failed: (error) => this.startFailed(error),
        });
      },
      (e: unknown) => this.startFailed({ code: ErrorCodes.WORKER_START, name: 'SyncError', message: e instanceof Error ? e.message : String(e) }),
    );
  }

  private startFailed(error: unknown): void {
    if (this.init && !this.initAnswered) {
      this.initAnswered = true;
      this.out.next({ type: 'error', id: this.init.id, error });
    }
  }

  private stopEngine(): void {
    this.engineGen++;
    this.relay?.terminate();
    this.relay = null;
    this.prepareStandby();
  }

  private prepareStandby(): void {
    if (this.init && this.state.role !== 'leader' && this.state.role !== 'closed') this.standby.prepare((this.init.options as WorkerOptions).wasmUrl);
  }

  /** Send to the current leader (this tab's engine, or the leader tab); false if there is none yet. */
  private sendNow(msg: WorkerMsg): boolean {
    if (this.state.role === 'leader' && this.relay?.engine()) {
      this.relay.fromSelf(msg);
      return true;
    }
    const leader = this.state.role === 'follower' ? this.state.leader : null;
    if (!leader) return false;
    this.bus.post({ rsw: 1, kind: 'request', from: this.tab, to: leader.tab, msg });
    return true;
  }

  /** A new leader (or this tab's engine just became ready): everything unanswered goes to it. */
  private resend(): void {
    this.answerInit();
    this.requests.resend((m) => this.sendNow(m));
  }

  private answerInit(): void {
    if (!this.init || this.initAnswered) return;
    const engine = this.state.role === 'leader' ? this.relay?.engine() : null;
    if (engine) {
      this.initAnswered = true;
      this.out.next({ type: 'ready', id: this.init.id, client_id: engine.client_id, lsn: engine.lsn, epoch: engine.epoch });
    } else {
      // A follower asks the leader for the engine's identity; its answer comes back as `ready`.
      this.sendNow(this.init);
    }
  }

  /** A message of the current leader for this tab's client. */
  private fromRoute(msg: WorkerMsg): void {
    if (msg.type === 'ready') {
      if (this.init && msg.id === this.init.id && !this.initAnswered) {
        this.initAnswered = true;
        this.out.next(msg);
      }
      return;
    }
    if (msg.type === 'closed' && msg.id === this.closeId) return this.finishClose();
    if (typeof msg.id === 'number' && msg.type !== 'token_request') {
      // An answer: passed on once; "the leader is gone" is not an answer.
      if (this.requests.answered(msg.id, msg)) this.out.next(msg);
      return;
    }
    if (msg.type === 'status') {
      this.status = msg.status as SyncStatusWire;
      return this.emitStatus();
    }
    this.out.next(msg);
  }

  /** The last real status of the engine this tab uses, with this tab's role (nothing before the engine spoke). */
  private emitStatus(): void {
    const role = this.state.role;
    if (role === 'closed' || this.status === null) return;
    this.out.next({ type: 'status', status: { ...this.status, role } });
  }

  private fromBus(env: BusEnvelope): void {
    const leads = this.state.role === 'leader';
    const fromLeader = this.state.role === 'follower' && this.state.leader?.tab === env.from;
    switch (env.kind) {
      case 'ping':
        // A frozen page still runs message handlers in Chromium, but not its timers: a leader whose
        // heartbeat has not run for stealAfter / 2 keeps quiet, so the others steal the lock.
        if (leads && this.now() - this.lastBeat <= this.stealAfter / 2) this.announce();
        return;
      case 'leader':
        return this.step({ type: 'heard', tab: env.from, epoch: env.epoch, ready: env.ready, now: this.now(), ...(env.schemaVersion !== undefined && { schemaVersion: env.schemaVersion }) });
      case 'request':
        if (env.to === this.tab && leads) this.relay?.fromTab(env.from, env.msg as WorkerMsg);
        return;
      case 'answer':
        if (env.to === this.tab && fromLeader) this.fromRoute(env.msg as WorkerMsg);
        return;
      case 'event':
        if (env.except !== this.tab && fromLeader) this.fromRoute(env.msg as WorkerMsg);
        return;
    }
  }

  private announce(): void {
    const engine = this.relay?.engine();
    this.bus.post({ rsw: 1, kind: 'leader', from: this.tab, epoch: engine?.epoch ?? 0, ready: engine !== null && engine !== undefined, schemaVersion: this.schemaVersion() });
  }

  private ping(): void {
    this.bus.post({ rsw: 1, kind: 'ping', from: this.tab });
  }

  private beat(): void {
    this.lastBeat = this.now();
    if (this.state.role !== 'leader') this.ping();
    this.step({ type: 'tick', now: this.now() });
  }

  private close(id: number): void {
    this.closeId = id;
    const relay = this.state.role === 'leader' ? this.relay : null;
    this.step({ type: 'close' });
    // The leader flushes and closes its engine before it lets the lock go; a follower just leaves.
    if (relay?.engine()) relay.fromSelf({ type: 'close', id });
    else this.finishClose();
  }

  private finishClose(): void {
    const id = this.closeId;
    this.stop();
    if (id !== null) this.out.next({ type: 'closed', id });
  }

  private stop(): void {
    this.step({ type: 'close' });
    for (const s of this.subs.splice(0)) s.unsubscribe();
    this.relay?.terminate();
    this.relay = null;
    this.standby.drop();
    this.election.end();
    this.bus.close();
  }
}
