/**
 * Issue #12 point 7: bounded error frames and log lines, the rejected-ack row as a hook point,
 * the prototype-key check on PARSED keys. Real server over real sockets where a server is involved.
 */
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeClientFrame, parseJson } from '../../lib/protocol/index.js';
import { createLogger, type SyncServer } from '../../server/index.js';
import { TestClient, startServer, todo } from './helpers.js';

describe('server hardening: small ones', () => {
  let server: SyncServer;
  afterEach(async () => server.close());

  it("refuses a client's 1 MiB error frame in the codec and keeps its log lines short", async () => {
    const lines: string[] = [];
    server = await startServer({ logger: createLogger('warn', (l) => lines.push(l)) });
    const { c } = await TestClient.handshake(server.url, 'noisy');
    for (let i = 0; i < 5; i++) c.send({ type: 'error', code: 'x', message: 'm'.repeat(1024 * 1024) });
    for (let i = 0; i < 5; i++) expect((await c.next('error')).code).toBe('protocol_error');
    c.send({ type: 'error', code: 'client_oops', message: 'short and fine' });
    c.send({ type: 'ping', t: 1 });
    await c.next('pong');
    expect(lines.some((l) => l.includes('short and fine'))).toBeTrue();
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(2100);
    expect((await c.commit([todo('after', 'a', 'ok')])).acks[0]!.status).toBe('applied');
    await c.close();
  });

  it('passes the row of a rejected ack through the rejectedRow hook (access control can hide it)', async () => {
    const seen: string[] = [];
    server = await startServer({
      permit: (change) => (change.entity_id === 'secret' && change.op !== 'insert' ? 'read only' : null),
      rejectedRow: (change, who, row) => {
        seen.push(`${change.change_id}:${who.clientId}`);
        return who.clientId === 'owner' ? row : null;
      },
    });
    const { c: owner } = await TestClient.handshake(server.url, 'owner');
    await owner.commit([todo('s1', 'secret', 'the secret title')]);
    const { c: other } = await TestClient.handshake(server.url, 'other');
    const ack = await other.change([{ change_id: 'x1', entity: 'todos', entity_id: 'secret', op: 'delete', data: null }]);
    expect(ack.acks[0]).toEqual(jasmine.objectContaining({ status: 'rejected', row: null }));
    const own = await owner.change([{ change_id: 'x2', entity: 'todos', entity_id: 'secret', op: 'delete', data: null }]);
    expect(own.acks[0]).toEqual(jasmine.objectContaining({ status: 'rejected', row: { id: 'secret', title: 'the secret title', done: 0 } }));
    expect(seen).toEqual(['x1:other', 'x2:owner']);
    await owner.close();
    await other.close();
  });
});

describe('protocol hardening: prototype keys', () => {
  it('checks the parsed keys for prototype names, whatever the spelling in the raw text', () => {
    for (const raw of [String.raw`{"type":"ping","__pro\u0074o__":{"x":1}}`, String.raw`{"type":"ping","\u0063onstructor":1}`, '{"type":"ping","__proto__" :{}}']) {
      const parsed = parseJson(raw);
      expect(isLeft(parsed) && parsed.left.message).withContext(raw).toMatch(/forbidden key/);
      expect(isLeft(decodeClientFrame(raw))).toBeTrue();
    }
    // Escapes that spell nothing forbidden are fine.
    expect(isLeft(parseJson(String.raw`{"type":"ping","t":1,"x":"caf\u00e9"}`))).toBeFalse();
  });
});
