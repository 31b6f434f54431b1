/**
 * The dedupe of a frame on PostgreSQL (which of its change_ids the client sent before) costs what
 * the frame holds, not what the client ever sent: the plan of the lookup touches at most one log
 * row per change_id asked, however long the client's history (server/storage/pg-batch.ts,
 * `loggedQuery`). Before, `change_id = ANY(...)` matched the (client_id, change_id) index on
 * client_id alone and filtered the client's whole history on every frame. And a frame of new
 * changes costs no lookup at all: it is written optimistically, and only when the log's unique
 * index refuses a change_id sent before is it written again with the lookup (pg-retry.ts).
 */
import pg from 'pg';
import { parseSchema, type ClientChange } from '../../../lib/protocol/index.js';
import { loggedQuery } from '../../../server/storage/pg-batch.js';
import { parsePgUrl, PgStorage } from '../../../server/storage/postgres.js';
import { freshPgUrl } from '../../support/pg.js';
import { onTheWire } from './pg-wire.js';
import { SCHEMA } from '../helpers.js';

const todo = (client: string, i: number): ClientChange => ({ change_id: `${client}-${i}`, entity: 'todos', entity_id: `${client}-t${i}`, op: 'insert', data: { id: `${client}-t${i}`, title: `t${i}`, done: 0 } });

interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows of rsw_change_log the plan's nodes produced or threw away, over all loops. */
function logRowsTouched(node: PlanNode): number {
  const own = node['Relation Name'] === 'rsw_change_log'
    ? ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * (node['Actual Loops'] ?? 1)
    : 0;
  return own + (node.Plans ?? []).reduce((n, p) => n + logRowsTouched(p), 0);
}

describe('PostgreSQL dedupe of a frame', () => {
  const url = freshPgUrl();
  let store: PgStorage;
  let db: pg.Client;

  beforeAll(async () => {
    store = await PgStorage.open({ url, schema: parseSchema(SCHEMA), now: () => 1 });
    // A long history of one client, and a little of another.
    for (let f = 0; f < 12; f++) await store.applyChanges('big', Array.from({ length: 500 }, (_, k) => todo('big', f * 500 + k)));
    await store.applyChanges('small', [todo('small', 0), todo('small', 1)]);
    const { connectionString, schema } = parsePgUrl(url);
    db = new pg.Client({ connectionString, options: `-c search_path=${schema}` });
    await db.connect();
    await db.query('ANALYZE rsw_change_log');
  });

  afterAll(async () => {
    await db.end();
    await store.close();
  });

  it('answers a re-sent change with its first LSN and applies the new ones beside it', async () => {
    const again = await store.applyChanges('big', [todo('big', 3), todo('big', 5999), todo('big', 6000)]);
    expect(again.acks.map((a) => [a.status, 'lsn' in a ? a.lsn : null])).toEqual([['duplicate', 4], ['duplicate', 6000], ['applied', 6003]]);
    // Another client's change with the same change_id is its own change.
    const other = await store.applyChanges('small', [{ ...todo('big', 7), entity_id: 'x7', data: { id: 'x7', title: 'x', done: 0 } }]);
    expect(other.acks[0]!.status).toBe('applied');
  });

  it('touches at most one log row per change_id asked, with 6,000 changes of the client in the log', async () => {
    // 100 ids: half in the log, half new (a frame after a reconnect).
    const ids = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? `big-${i * 37}` : `big-new-${i}`));
    const lit = (v: string) => db.escapeLiteral(v);
    const found = await db.query(loggedQuery(lit, 'big', ids));
    expect(found.rows.length).toBe(50);
    const explained = await db.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${loggedQuery(lit, 'big', ids)}`);
    const plan = (explained.rows[0] as { 'QUERY PLAN': { Plan: PlanNode }[] })['QUERY PLAN'][0]!.Plan;
    expect(logRowsTouched(plan)).toBeLessThanOrEqual(ids.length);
  });
});

describe('PostgreSQL dedupe of a frame of new changes', () => {
  let own: PgStorage;
  beforeEach(async () => {
    own = await PgStorage.open({ url: freshPgUrl(), schema: parseSchema(SCHEMA), now: () => 1 });
    await own.applyChanges('small', [todo('small', 0)]);
  });
  afterEach(() => own.close());

  it('looks nothing up for a frame of new changes, and looks up (then writes in one transaction) only when the log refuses one sent before', async () => {
    const isLookup = (text: string) => text.includes('CROSS JOIN LATERAL');
    const fresh = await onTheWire(() => own.applyChanges('small', [todo('small', 10), todo('small', 11)]), isLookup);
    expect(fresh.result.acks.map((a) => a.status)).toEqual(['applied', 'applied']);
    expect([fresh.queries, fresh.committed]).toEqual([0, 1]);
    const resent = await onTheWire(() => own.applyChanges('small', [todo('small', 12), todo('small', 10)]), isLookup);
    const lsn = (fresh.result.acks[0] as { lsn: number }).lsn;
    expect(resent.result.acks).toEqual([{ change_id: 'small-12', status: 'applied', lsn: lsn + 2 }, { change_id: 'small-10', status: 'duplicate', lsn }]);
    expect([resent.queries, resent.committed]).toEqual([1, 1]);
  });
});
