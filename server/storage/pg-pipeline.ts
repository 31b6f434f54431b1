/**
 * Statements of one transaction sent back to back, without waiting for each answer: the pool's
 * connections are in `pg`'s pipeline mode (postgres.ts), so a group's writes and its COMMIT go
 * out together and PostgreSQL runs them one after the other with no round trip in between.
 * Order and meaning are those of sending them one by one: PostgreSQL runs them in the order sent,
 * and once one fails the transaction is aborted, every later one fails (25P02) and the COMMIT
 * ends in a rollback. {@link Pipeline.settle} waits for all of them and throws the FIRST failure
 * (the cause; the later ones only echo it). Without pipeline mode (an older `pg`) the client
 * queues them instead: the same answers, one round trip each.
 */
import type { QueryConfig, QueryResult } from 'pg';
import type { Queryable } from './pg-types.js';

/** The statements sent on one connection and not yet settled. */
export class Pipeline {
  private sent: Promise<QueryResult>[] = [];

  constructor(private readonly db: Queryable) {}

  /** Send a statement now; its answer is awaited by {@link settle} (or by the caller, after settling). */
  send(query: QueryConfig): Promise<QueryResult> {
    const answer = this.db.query(query);
    answer.catch(() => undefined); // settled (and reported) by settle()
    this.sent.push(answer);
    return answer;
  }

  /** How many statements wait to be settled. */
  get pending(): number {
    return this.sent.length;
  }

  /** Wait for every statement sent so far; throws the first one's failure, in send order. */
  async settle(): Promise<void> {
    const sent = this.sent;
    this.sent = [];
    const out = await Promise.allSettled(sent);
    for (const r of out) if (r.status === 'rejected') throw r.reason;
  }
}
