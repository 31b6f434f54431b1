/**
 * The per-stage trace of end_to_end_latency: what the traced workers (bench/page/trace-hooks.ts)
 * and the traced server thread (bench/node/server-trace.ts) record, keyed by change_id. Times are
 * epoch ms, each on its own process's clock (Chromium or Node).
 */

/** What one traced sync worker saw (Chromium clock). */
export interface WorkerTrace {
  /** The client id its hello carried. */
  clientId: string | null;
  /** entity_id -> time the worker got the page's message (change_recorded) writing that row, first seen. */
  requestIn: Record<string, number>;
  /** change_id -> [time its client_change frame was sent, entity_id]. */
  out: Record<string, [number, string]>;
  /** change_id -> time the change_ack naming it was received. */
  ackIn: Record<string, number>;
  /** change_id -> [time the server_changes frame holding it was received, its lsn]. */
  changesIn: Record<string, [number, number]>;
  /** change_id -> time the worker posted changes_processed (origin local): recorded and durable. */
  durable: Record<string, number>;
  /** change_id -> time the worker posted changes_processed (origin server): applied and committed. */
  applied: Record<string, number>;
}

/** What the traced server thread saw (Node clock). */
export interface ServerTrace {
  /** change_id -> time the client_change frame holding it was received. */
  in: Record<string, number>;
  /** change_id -> time the socket's inbox handed that frame on (decode and handling start). */
  handled: Record<string, number>;
  /** change_id -> time the handling of that frame ended (ack and broadcast sent, pacing done): the inbox's next frame starts. */
  finished: Record<string, number>;
  /** change_id -> time the server's ordered apply queue started writing that frame. */
  writing: Record<string, number>;
  /** change_id -> time the change_ack naming it was sent (after the server's commit). */
  ack: Record<string, number>;
  /** client_id -> change_id -> time the server_changes frame holding it was sent to that client. */
  broadcast: Record<string, Record<string, number>>;
}
