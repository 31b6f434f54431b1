/**
 * Issue #12, data that used to poison the log: lone surrogates (stored as bytes that read back as
 * U+FFFD, so a page no longer matched its own ids). Each attack runs against the real server over
 * real sockets; the honest client still writes and catches up with pages that decode.
 */
import { isLeft } from 'fp-ts/lib/Either.js';
import { checkChange, decodeServerFrame, parseSchema } from '../../lib/protocol/index.js';
import type { SyncServer } from '../../server/index.js';
import { SCHEMA, TestClient, startServer, todo } from './helpers.js';

describe('server hardening: lone surrogates', () => {
  let server: SyncServer;
  let good: TestClient;
  beforeEach(async () => {
    server = await startServer();
    ({ c: good } = await TestClient.handshake(server.url, 'good'));
    await good.commit([todo('seed', 'a', 'kept')]);
  });
  afterEach(async () => {
    await good.close();
    await server.close();
  });

  it('refuses a lone surrogate in an entity_id or a text value (protocol_error), stores nothing, and catch-up still matches', async () => {
    const { c: bad } = await TestClient.handshake(server.url, 'bad');
    // JSON.stringify escapes a lone surrogate as \ud800: exactly what a hostile peer can send.
    bad.send({ type: 'client_change', changes: [todo('x1', '\ud800', 'id is a lone surrogate')] });
    expect((await bad.next('error')).code).toBe('protocol_error');
    bad.send({ type: 'client_change', changes: [todo('x2', 'b', 'title \udfff alone')] });
    const err = await bad.next('error');
    expect(err.code).toBe('protocol_error');
    expect(err.message).toMatch(/changes\.0\.data\.title/);
    expect(server.lsn()).toBe(1);
    // A surrogate PAIR is fine text.
    expect((await bad.commit([todo('x3', 'c', 'emoji \ud83d\ude00')])).acks[0]!.status).toBe('applied');
    await bad.close();

    const { c: fresh } = await TestClient.handshake(server.url, 'fresh');
    fresh.send({ type: 'sync_request', from_lsn: 0 });
    const page = await fresh.next('sync_response');
    expect(page.complete).toBeTrue();
    expect(page.changes.map((c) => [c.entity_id, c.data?.['id'], c.data?.['title']])).toEqual([
      ['a', 'a', 'kept'],
      ['c', 'c', 'emoji \ud83d\ude00'],
    ]);
    await fresh.close();
  });

  it('the client boundary refuses a server frame with a lone surrogate, and the app cannot write one', () => {
    const frame = `{"type":"sync_response","from_lsn":0,"lsn":1,"complete":true,"changes":[{"lsn":1,"change_id":"c","client_id":"x","entity":"todos","entity_id":"a","op":"insert","data":{"id":"a","title":"\\ud800"}}]}`;
    const decoded = decodeServerFrame(frame);
    expect(isLeft(decoded) && decoded.left.message).toMatch(/changes\.0\.data\.title/);
    const schema = parseSchema(SCHEMA);
    expect(checkChange(schema, todo('l1', 'a', 'bad \ud800'))?.message).toMatch(/well-formed/);
    expect(checkChange(schema, { change_id: 'l2', entity: 'todos', entity_id: '\udc00', op: 'delete', data: null })?.message).toMatch(/well-formed/);
    expect(checkChange(schema, todo('l3', 'a', 'pair \ud83d\ude00'))).toBeNull();
  });

  it('rejections it sends are well-formed, even when quoting hostile text', async () => {
    const { c: bad } = await TestClient.handshake(server.url, 'bad2');
    // A column name with a lone surrogate is quoted in the reason: the server replaces it.
    const ack = await bad.change([{ change_id: 'q', entity: 'todos', entity_id: 'a', op: 'update', data: { [`\ud800${'y'.repeat(5000)}`]: 1 } }]);
    // TestClient decodes with the client's codecs, which refuse lone surrogates and long reasons.
    const first = ack.acks[0]!;
    expect(first.status === 'rejected' && first.reason).toMatch(/^unknown column "\ufffdy+" in "todos"$/);
    await bad.close();
  });
});
