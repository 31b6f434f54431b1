/**
 * Array parameters written as PostgreSQL array literals by the storage code (server/storage/pg-arrays.ts)
 * instead of by `pg`: PostgreSQL must read back exactly the values given, for every kind the
 * storage passes (text with the characters the literal syntax uses, numbers, null, bytes), and a
 * frame's set-based statements must hand `pg` no JS array to serialise.
 */
import pg from 'pg';
import { parseSchema, type ClientChange } from '../../../lib/protocol/index.js';
import { arrayLiteral } from '../../../server/storage/pg-arrays.js';
import { PgStorage } from '../../../server/storage/postgres.js';
import { freshPgUrl, pgDatabaseUrl } from '../../support/pg.js';

const TEXTS = ['', 'plain', 'NULL', 'null', ' spaced ', 'a,b', '{braces}', 'quote " inside', 'back \\ slash', '\\"', '"', '\\', 'line\nbreak\ttab', 'ünï €', '😀', '{"json":"x","n":[1,2]}'];

describe('PostgreSQL array literals', () => {
  let db: pg.Client;
  beforeAll(async () => {
    db = new pg.Client({ connectionString: pgDatabaseUrl() });
    await db.connect();
  });
  afterAll(() => db.end());

  const roundTrip = async (values: unknown[], type: string) => ((await db.query({ text: `SELECT $1::${type}[] AS a`, values: [arrayLiteral(values)] })).rows[0] as { a: unknown[] }).a;

  it('reads back every text as given, null as NULL (not the text "NULL")', async () => {
    expect(await roundTrip([...TEXTS, null], 'text')).toEqual([...TEXTS, null]);
    expect(await roundTrip([], 'text')).toEqual([]);
  });

  it('reads back texts that need no escape, and numbers alone (the joined literals), as the element by element ones', async () => {
    const plain = ['', 'plain', 'NULL', ' spaced ', 'a,b', '{braces}', 'ünï €', '😀', "it's"];
    expect(arrayLiteral(plain)).toBe(`{${plain.map((v) => `"${v}"`).join(',')}}`);
    expect(await roundTrip(plain, 'text')).toEqual(plain);
    // One text with a quote: every element on its own (the others unchanged).
    expect(await roundTrip([...plain, 'a "b"'], 'text')).toEqual([...plain, 'a "b"']);
    expect(arrayLiteral([3, -0.5, 1e21])).toBe('{3,-0.5,1e+21}');
    expect(await roundTrip([3, -0.5, 1e21, 5e-324], 'float8')).toEqual([3, -0.5, 1e21, 5e-324]);
    expect(await roundTrip([0, -7, 9007199254740991], 'int8')).toEqual(['0', '-7', '9007199254740991']);
    expect(await roundTrip([1, 'x'], 'text')).toEqual(['1', 'x']);
  });

  it('reads back numbers, bytes and JSON values', async () => {
    expect(await roundTrip([0, -7, 9007199254740991, null], 'int8')).toEqual(['0', '-7', '9007199254740991', null]);
    expect(await roundTrip([1.5, -0.25, 1e21, 3], 'float8')).toEqual([1.5, -0.25, 1e21, 3]);
    expect(await roundTrip([0, 1], 'int2')).toEqual([0, 1]);
    const bytes = [Buffer.from([0, 1, 0xfe, 0xff]), Buffer.alloc(0), new Uint8Array([0x5c, 0x22])];
    expect((await roundTrip([...bytes, null], 'bytea')).map((b) => (b === null ? null : Buffer.from(b as Uint8Array).toString('hex')))).toEqual(['0001feff', '', '5c22', null]);
    expect(await roundTrip([JSON.stringify('s"x'), JSON.stringify(12.5), null], 'jsonb')).toEqual(['s"x', 12.5, null]);
  });

  it('gives pg no JS array to serialise when it writes a frame', async () => {
    const store = await PgStorage.open({ url: freshPgUrl(), schema: parseSchema({ t: { primaryKey: 'id', columns: { id: 'TEXT', v: 'TEXT', n: 'INTEGER' } } }), now: () => 1 });
    const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = proto.query;
    const arrays: unknown[] = [];
    proto.query = function (this: unknown, ...args: unknown[]) {
      for (const v of (args[0] as { values?: unknown[] } | undefined)?.values ?? []) if (Array.isArray(v)) arrays.push(v);
      return original.apply(this, args);
    };
    try {
      const changes: ClientChange[] = TEXTS.map((v, i) => ({ change_id: `c${i}`, entity: 't', entity_id: `r${i}`, op: 'insert', data: { id: `r${i}`, v, n: i } }));
      changes.push({ change_id: 'u', entity: 't', entity_id: 'r1', op: 'update', data: { v: 'x"y' } }, { change_id: 'd', entity: 't', entity_id: 'r2', op: 'delete', data: null });
      const out = await store.applyChanges('w', changes);
      expect(out.acks.every((a) => a.status === 'applied')).toBe(true);
      expect(arrays).toEqual([]);
      // What was written is what was sent.
      expect(await store.currentRow('t', 'r7')).toEqual({ id: 'r7', v: TEXTS[7]!, n: 7 });
      expect(await store.currentRow('t', 'r1')).toEqual({ id: 'r1', v: 'x"y', n: 1 });
      expect(await store.currentRow('t', 'r2')).toBeNull();
      const logged = (await store.readLog(0, 100)).changesJson.map((j) => JSON.parse(j) as ClientChange);
      expect(logged.map((c) => [c.change_id, c.entity_id, c.data])).toEqual(changes.map((c) => [c.change_id, c.entity_id, c.data]));
    } finally {
      proto.query = original;
      await store.close();
    }
  });
});
