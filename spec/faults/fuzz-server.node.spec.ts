/**
 * Fuzzing the server (fast-check, seeded): its frame decoder, and its whole frame path (the real
 * ClientConnection, hub and SQLite log store) over a stand-in socket. Invariants: no frame makes
 * the server fail internally or change a JS prototype, no SQL names anything outside the schema,
 * no table appears, and the LSN moves by exactly the number of changes acked `applied` (so a
 * rejected frame leaves it where it was). A failure prints fast-check's seed.
 */
import { EventEmitter } from 'node:events';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either.js';
import type { WebSocket } from 'ws';
import { decodeClientFrame, parseSchema } from '../../lib/protocol/index.js';
import type { ClientConnection } from '../../server/connection.js';
import { SyncHub } from '../../server/hub.js';
import { DEFAULT_LIMITS } from '../../server/limits.js';
import type { Logger } from '../../server/logger.js';
import { LogStore } from '../../server/store.js';
import { SqliteStorage } from '../../server/storage/sqlite.js';
import { TEST_SCHEMA } from '../support/schema.js';
import { clientFrameObject, hostileText } from './support/arbitraries.js';
import { foreignIdentifiers, prototypeFingerprint, quotedIdentifiers, spyOnSql } from './support/guards.js';
import { baseSeed, envCount } from './support/rng.js';
import { Tally } from './support/tally.js';

const schema = parseSchema(TEST_SCHEMA);
const SCHEMA_NAMES = new Set(Object.entries(schema).flatMap(([t, d]) => [t, ...Object.keys(d.columns)]));

/** Stands in for a `ws` socket: records what the server sends and how it closes. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readonly CONNECTING = 0;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: string[] = [];
  closedWith: number | null = null;
  send(data: string | Buffer): void {
    this.sent.push(String(data));
  }
  pause(): void {}
  resume(): void {}
  ping(): void {}
  terminate(): void {
    this.close(1006);
  }
  close(code: number): void {
    this.readyState = 3;
    this.closedWith = code;
    this.emit('close', code, Buffer.from(''));
  }
}

describe('faults: fuzzing the server frame decoder and frame path', () => {
  const seed = baseSeed();
  const scale = envCount('RSW_FAULTS_CASES', 10_000) / 10_000;
  const tally = new Tally('server fuzz', seed);
  const frames = hostileText(clientFrameObject);
  afterAll(() => tally.report());

  it(`decoder: never throws, never touches a prototype, accepts only schema names (seed ${seed})`, () => {
    const runs = Math.ceil(5000 * scale);
    const proto = prototypeFingerprint();
    fc.assert(
      fc.property(frames, (raw) => {
        const decoded = decodeClientFrame(raw, { schema });
        expect(prototypeFingerprint()).toBe(proto);
        if (isRight(decoded) && decoded.right.type === 'client_change') {
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

  it(`frame path: no internal error, LSN moves only by applied changes, only schema names reach SQL (seed ${seed})`, async () => {
    const runs = Math.ceil(5000 * scale);
    const sql = new Set<string>();
    const restore = spyOnSql(Database.prototype, ['prepare', 'exec'], sql);
    const internal: string[] = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m, ctx) => internal.push(`${m} ${JSON.stringify(ctx)}`) };
    const store = LogStore.open({ file: ':memory:', schema, now: () => 0 });
    const hub = new SyncHub({ store: new SqliteStorage(store), logger, now: () => 0, verifier: null, permit: null, pageSize: 100,
      limits: { ...DEFAULT_LIMITS, framesPerSecond: 1e9, frameBurst: 1e9, heartbeatMs: 0 },
      rejectedRow: (_c, _w, row) => row,
    });
    const tables = () => (store as unknown as { db: Database.Database }).db.prepare(`SELECT name FROM sqlite_master ORDER BY name`).pluck().all();
    const before = tables();
    const allowed = new Set([...SCHEMA_NAMES, ...[...sql].flatMap(quotedIdentifiers)]);
    let ws = new FakeSocket();
    let conn: ClientConnection;
    const connect = async () => {
      ws = new FakeSocket();
      conn = hub.accept(ws as unknown as WebSocket, 'fuzz');
      ws.emit('message', Buffer.from(JSON.stringify({ type: 'hello', protocol: 1, client_id: 'fuzzer', last_lsn: 0 })));
      await conn.idle();
    };
    let applied = 0;
    try {
      await connect();
      const proto = prototypeFingerprint();
      await fc.assert(
        fc.asyncProperty(frames, async (raw) => {
          if (ws.readyState !== 1) await connect();
          const lsn = store.lsn();
          const mark = ws.sent.length;
          ws.emit('message', Buffer.from(raw));
          await conn.idle();
          const replies = ws.sent.slice(mark).map((t) => JSON.parse(t) as { type: string; acks?: { status: string }[] });
          const acked = replies.flatMap((r) => (r.type === 'change_ack' ? r.acks ?? [] : [])).filter((a) => a.status === 'applied').length;
          applied += acked;
          expect(store.lsn() - lsn).withContext('LSN moved by the changes acked applied').toBe(acked);
          expect(internal).toEqual([]);
          expect(prototypeFingerprint()).toBe(proto);
          expect(foreignIdentifiers(sql, allowed)).toEqual([]);
        }),
        { seed, numRuns: runs },
      );
      expect(tables()).toEqual(before);
      // Enough valid changes really ran through the apply path for the check to mean something
      // (a tiny run, e.g. `test:faults -- --cases 200`, only needs some).
      expect(applied).toBeGreaterThan(runs >= 1000 ? runs / 50 : 0);
      tally.add({ cases: runs });
    } finally {
      restore();
      store.close();
    }
  }, 60_000);
});
