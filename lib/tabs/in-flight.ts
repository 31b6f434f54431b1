/**
 * What a tab's client asked for and no leader has answered or taken yet (tab-channel.ts).
 *
 * Nothing a client asked for is lost in a failover: every request stays here, in flight, until
 * the current leader answers it, and is re-sent to each new leader. A write's change_ids are fixed
 * here, before it is first sent, so a re-sent write is recorded once (SqlJsStore.recordedAlready).
 * An answer that only says the leader went away (store_taken_over, closed) is not passed on: the
 * request waits for the next leader. Commands without an answer (connect, disconnect) wait too,
 * the latest of each kind. Bounded: past MAX_IN_FLIGHT requests, a new one is answered with
 * `limit_exceeded`.
 */
import { ErrorCodes, SyncError } from '../errors.js';
import type { WorkerMsg } from './leader-relay.js';

/** Answers that only mean "this leader is gone": the request waits for the next one. */
const LEADER_GONE: ReadonlySet<string> = new Set([ErrorCodes.STORE_TAKEN_OVER, ErrorCodes.CLOSED]);

/** Most requests one tab keeps in flight (each waits for a leader's answer). */
const MAX_IN_FLIGHT = 10_000;

/** The requests and commands of one tab's client that wait for a leader (tab-channel.ts). */
export class InFlight {
  /** The client's requests not answered yet, by the client's own id (insertion order = send order). */
  private readonly inflight = new Map<number, WorkerMsg>();
  private commands: WorkerMsg[] = [];

  /** @param newId makes the change ids this tab fixes */
  constructor(private readonly newId: () => string) {}

  /**
   * A request (a message with an id) or a command of the client: sent with `send` (false: no
   * leader yet) and kept until answered (a request) or taken (a command). Returns the error
   * answer for the client when too many requests wait, else null.
   */
  take(msg: WorkerMsg, send: (msg: WorkerMsg) => boolean): WorkerMsg | null {
    if (typeof msg.id !== 'number') {
      // connect, disconnect (and any command without an answer): for the one engine, wherever it runs.
      // Waiting for a leader, only the latest of each kind counts (bounded however often it is called).
      if (!send(msg)) this.commands = [...this.commands.filter((c) => c.type !== msg.type), msg];
    } else if (this.inflight.size >= MAX_IN_FLIGHT) {
      return { type: 'error', id: msg.id, error: new SyncError(ErrorCodes.LIMIT, `more than ${MAX_IN_FLIGHT} requests wait for the leader tab`).toJSON() };
    } else {
      const fixed = msg.type === 'change_recorded' ? this.fixIds(msg) : msg;
      this.inflight.set(msg.id, fixed);
      send(fixed);
    }
    return null;
  }

  /** A new leader: every request not answered goes to it, and every command it takes. */
  resend(send: (msg: WorkerMsg) => boolean): void {
    for (const msg of this.inflight.values()) send(msg);
    const commands = this.commands;
    this.commands = [];
    for (const c of commands) if (!send(c)) this.commands.push(c);
  }

  /** Does `msg` answer the request `id` still in flight? Then it is no longer in flight (an answer is passed on once). */
  answered(id: number, msg: WorkerMsg): boolean {
    if (!this.inflight.has(id)) return false;
    if (msg.type === 'error' && LEADER_GONE.has(String((msg.error as { code?: unknown } | undefined)?.code))) return false;
    this.inflight.delete(id);
    return true;
  }

  /** Change ids fixed by this tab: the same write re-sent to another leader is recorded once. */
  private fixIds(msg: WorkerMsg): WorkerMsg {
    const changes = (msg.changes as { change_id?: string }[]).map((c) => (c.change_id === undefined ? { ...c, change_id: this.newId() } : c));
    return { ...msg, changes };
  }
}
