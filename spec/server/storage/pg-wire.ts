/**
 * What a PostgreSQL store did on the wire while `run` ran, seen from `pg`'s Client.query (every
 * pool connection is a Client): the statements sent, the most of them sent and not yet answered
 * at one moment (above 1 only when statements go out back to back, pipelined), whether every
 * connection used was in pipeline mode, and how many transactions COMMIT really committed (a
 * COMMIT sent behind a failed statement answers ROLLBACK).
 */
import pg from 'pg';

/** What {@link onTheWire} saw. */
export interface Wire<T> {
  result: T;
  /** Statements sent whose text `counted` accepted. */
  queries: number;
  /** Most statements sent and not yet answered at once. */
  mostInFlight: number;
  /** Every statement went over a connection in pipeline mode. */
  pipelined: boolean;
  /** COMMITs answered COMMIT. */
  committed: number;
}

/** Watch the `pg` queries sent while `run` runs (`counted` picks which count as `queries`, default all). */
export async function onTheWire<T>(run: () => Promise<T>, counted: (text: string) => boolean = () => true): Promise<Wire<T>> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  let queries = 0;
  let inFlight = 0;
  let mostInFlight = 0;
  let pipelined = true;
  let committed = 0;
  proto.query = function (this: { pipeline?: boolean }, ...args: unknown[]) {
    const q = args[0] as string | { text?: string } | undefined;
    const text = String(typeof q === 'string' ? q : q?.text).trim();
    if (counted(text)) queries++;
    if (this.pipeline !== true) pipelined = false;
    const answer = original.apply(this, args);
    if (!(answer instanceof Promise)) return answer;
    mostInFlight = Math.max(mostInFlight, ++inFlight);
    return answer.then(
      (r: { command?: string }) => {
        inFlight--;
        if (text === 'COMMIT' && r.command === 'COMMIT') committed++;
        return r;
      },
      (e: unknown) => {
        inFlight--;
        throw e;
      },
    );
  };
  try {
    return { result: await run(), queries, mostInFlight, pipelined, committed };
  } finally {
    proto.query = original;
  }
}
