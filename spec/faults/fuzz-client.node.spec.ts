/**
 * Fuzzing the client (fast-check, seeded): its frame decoder, its apply path (the real sql.js
 * store, batches classified by the real LSN ordering), and the whole client (transport + engine)
 * over a socket. Frames: malformed JSON, wrong types, huge numbers, deep nesting, big frames,
 * `__proto__` / `constructor` keys, SQL in identifiers. Invariants: nothing throws (or only a typed
 * SyncError the engine catches), no prototype changes, no SQL names a table or column outside the
 * schema, and a rejected frame leaves the LSN where it was. A failure prints fast-check's seed.
 */
import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either.js';
import { SyncError } from '../../lib/errors.js';
import { classifyBatch, trimBatch } from '../../lib/engine/lsn-ordering.js';
import { MAX_LSN, decodeServerFrame, parseSchema } from '../../lib/protocol/index.js';
import { loadSqlJs, openStore, type SqlJsStore } from '../../lib/store/index.js';
import { TEST_SCHEMA } from '../support/schema.js';
import { waitFor } from '../support/wait.js';
import { hostileText, serverFrameObject } from './support/arbitraries.js';
import { foreignIdentifiers, prototypeFingerprint, spyOnSql } from './support/guards.js';
import { baseSeed, envCount } from './support/rng.js';
import { ScriptedServer } from './support/scripted-server.js';
import { Tally } from './support/tally.js';
import { TrackedClient } from './support/tracked-client.js';

const schema = parseSchema(TEST_SCHEMA);
const SCHEMA_NAMES = new Set(Object.entries(schema).flatMap(([t, d]) => [t, ...Object.keys(d.columns)]));

describe('faults: fuzzing the client frame decoder and apply path', () => {
  const seed = baseSeed();
  const scale = envCount('RSW_FAULTS_CASES', 10_000) / 10_000;
  const tally = new Tally('client fuzz', seed);
  const frames = hostileText(serverFrameObject);
  afterAll(() => tally.report());

  it(`decoder: never throws, never touches a prototype, accepts only schema names (seed ${seed})`, () => {
    const runs = Math.ceil(5000 * scale);
    const proto = prototypeFingerprint();
    fc.assert(
      fc.property(frames, (raw) => {
        const decoded = decodeServerFrame(raw, { schema });
        expect(prototypeFingerprint()).toBe(proto);
        if (isRight(decoded) && 'changes' in decoded.right) {
          for (const c of decoded.right.changes) {
            expect(SCHEMA_NAMES.has(c.entity)).toBeTrue();
            for (const k of Object.keys(c.data ?? {})) expect(Object.prototype.hasOwnProperty.call(schema[c.entity]!.columns, k)).toBeTrue();
          }
        }
      }),
      { seed, numRuns: runs },
    );
    tally.add({ cases: runs });
  });

  describe('apply path (real sql.js store)', () => {
    let store: SqlJsStore;
    let restore: () => void;
    const sql = new Set<string>();
    let allowed: Set<string>;

    beforeAll(async () => {
      const SQL = await loadSqlJs();
      store = await openStore({ schema: TEST_SCHEMA });
      // Everything the store itself names while working normally is the baseline.
      restore = spyOnSql(SQL.Database.prototype, ['prepare', 'exec', 'run'], sql);
      store.recordLocalChanges([{ op: 'insert', entity: 'todos', entity_id: 'a', data: { id: 'a', title: 't', done: 0 } }], 0);
      allowed = new Set([...SCHEMA_NAMES, ...[...sql].flatMap((s) => [...s.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => m[1]!))]);
    });
    afterAll(async () => {
      restore();
      await store.close();
    });

    it(`a rejected frame leaves the LSN; only schema names reach SQL; errors are typed (seed ${seed})`, () => {
      const runs = Math.ceil(4000 * scale);
      const proto = prototypeFingerprint();
      let applied = 0;
      fc.assert(
        fc.property(frames, fc.integer({ min: 0, max: 6 }), fc.nat(), (raw, randomBase, offset) => {
          const decoded = decodeServerFrame(raw, { schema });
          const f = isRight(decoded) && (decoded.right.type === 'server_changes' || decoded.right.type === 'sync_response') ? decoded.right : null;
          const batch = f && { prev_lsn: f.type === 'sync_response' ? f.from_lsn : f.prev_lsn, lsn: f.lsn, changes: f.changes, page: null };
          // Mostly a local LSN the batch follows (so it applies), sometimes any.
          const base = batch && batch.lsn > batch.prev_lsn && offset % 4 !== 0 ? batch.prev_lsn + (offset % (batch.lsn - batch.prev_lsn)) : randomBase;
          store.setLsn(base);
          if (batch) {
            // What the downstream pipeline does: only the batch that is next is applied.
            if (classifyBatch(base, batch) === 'next') {
              try {
                store.applyServerBatch(trimBatch(batch, base), 1);
                expect(store.getLsn()).toBe(batch.lsn);
                applied++;
              } catch (e) {
                expect(e instanceof SyncError).withContext(String(e)).toBeTrue();
                expect(store.getLsn()).withContext('LSN after a rolled-back batch').toBe(base);
              }
            }
          } else {
            expect(store.getLsn()).withContext('LSN after a rejected frame').toBe(base);
          }
          expect(prototypeFingerprint()).toBe(proto);
          expect(foreignIdentifiers(sql, allowed)).toEqual([]);
        }),
        { seed, numRuns: runs },
      );
      // Enough valid batches really ran through the apply path for the check to mean something.
      expect(applied).toBeGreaterThan(runs / 20);
      expect(store.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('todos', 'notes', 'local_changes', 'sync_state', 'schema_migrations', 'quarantined_changes', 'local_changes_counts') ORDER BY name`)).toEqual([]);
      tally.add({ cases: runs });
    }, 60_000);
  });

  it(`the whole client over a socket: connection kept, LSN never backwards, valid batches still apply (seed ${seed})`, async () => {
    const runs = Math.ceil(1000 * scale);
    const server = await ScriptedServer.start();
    const c = new TrackedClient('fuzzed', server.url, { heartbeat: { interval: 60_000, timeout: 60_000 } });
    try {
      await waitFor(c.client.status$, (s) => s.connection === 'synced', 'synced');
      const samples = fc.sample(frames, { seed, numRuns: runs });
      for (let i = 0; i < samples.length; i++) {
        server.send(samples[i]!);
        // A pong for ping i means every frame before it was handled.
        const mark = server.received.length;
        server.send({ type: 'ping', t: i });
        await server.next((f) => f.type === 'pong' && f.t === i, `pong ${i}`, mark);
      }
      const hellos = server.received.filter((f) => f.type === 'hello').length;
      expect(hellos).withContext('the connection was never dropped').toBe(1);
      expect(c.lsnBackwards).toEqual([]);
      // After all that, a valid batch right after the client's LSN still applies (a fuzzed batch
      // may legitimately have moved it to the largest LSN: then start over on a new client's view).
      const lsn = c.status!.lsn;
      expect(lsn).toBeLessThanOrEqual(MAX_LSN);
      if (lsn === MAX_LSN) return tally.add({ cases: runs });
      server.send({ type: 'server_changes', prev_lsn: lsn, lsn: lsn + 1, changes: [{ lsn: lsn + 1, change_id: 'after-fuzz', client_id: 'other', entity: 'todos', entity_id: 'z', op: 'insert', data: { id: 'z', title: 'still syncing', done: 0 } }] });
      await waitFor(c.client.status$, (s) => s.lsn === lsn + 1, 'valid batch after the fuzz');
      expect(await c.client.query(`SELECT title FROM todos WHERE id = 'z'`)).toEqual([{ title: 'still syncing' }]);
      tally.add({ cases: runs });
    } finally {
      await c.close();
      await server.close();
    }
  }, 60_000);
});
