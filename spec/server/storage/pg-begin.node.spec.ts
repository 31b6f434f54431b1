/**
 * server/storage/pg-batch.ts beginFrames: the begin goes out as the first statement of the group's
 * pipeline and is not waited for. When it fails (the connection dropped, the lock timed out), the
 * failure is the pipeline's to report (its settle throws it); the base, which the group reads only
 * after a successful settle, must not become an unhandled rejection meanwhile (that would end a
 * Node server), and still rejects with the failure when it is read.
 */
import type { QueryConfig } from 'pg';
import { beginFrames } from '../../../server/storage/pg-batch.js';
import type { Pipeline } from '../../../server/storage/pg-pipeline.js';
import type { PoolClient } from '../../../server/storage/pg-types.js';
import type { FrameRequest } from '../../../server/storage/types.js';

const frame: FrameRequest = { clientId: 'c1', changes: [{ change_id: 'x', entity: 't', entity_id: '1', op: 'delete', data: null }], permit: null, sub: null, known: null };
const db = { escapeLiteral: (v: string) => `'${v.replace(/'/g, "''")}'` } as unknown as PoolClient;

/** A pipeline whose every statement fails as a dropped connection would (the caught promise, as Pipeline.send gives it). */
function failingPipe(sent: QueryConfig[]): Pipeline {
  return {
    send: (q: QueryConfig) => {
      sent.push(q);
      const answer = Promise.reject(new Error('connection terminated'));
      answer.catch(() => undefined);
      return answer;
    },
  } as unknown as Pipeline;
}

describe('PostgreSQL group begin (pipelined, not awaited)', () => {
  let unhandled: unknown[];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  it('sends the lock and the base in one statement, and a failed begin is no unhandled rejection', async () => {
    const sent: QueryConfig[] = [];
    const begun = beginFrames(db, failingPipe(sent), [frame], false);
    expect(sent.length).toBe(1);
    expect(sent[0]!.text).toMatch(/^BEGIN; SET LOCAL rsw\.origin = 'server'; SELECT pg_advisory_xact_lock\(.*set_config\('rsw\.base', coalesce\(max\(lsn\), 0\)::text, true\)/s);
    // Optimistic: nothing is looked up, so nothing waits for the begin.
    expect((await begun.logged).get('c1')!.size).toBe(0);
    // Two turns of the event loop: an unhandled rejection would have been reported by now.
    await new Promise((ok) => setImmediate(ok));
    await new Promise((ok) => setImmediate(ok));
    expect(unhandled).toEqual([]);
    await expectAsync(begun.base).toBeRejectedWithError('connection terminated');
  });

  it('with the lookup, the known change_ids wait for the begin and fail with it', async () => {
    const sent: QueryConfig[] = [];
    const begun = beginFrames(db, failingPipe(sent), [frame], true);
    expect(sent[0]!.text).toContain("client_id = 'c1' AND change_id = i.id");
    await expectAsync(begun.logged).toBeRejectedWithError('connection terminated');
    await new Promise((ok) => setImmediate(ok));
    expect(unhandled).toEqual([]);
  });
});
