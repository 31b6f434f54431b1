/**
 * The connection manager against fake sockets: handshake, message$ and errors$, the bounded
 * outbound buffer, connect() / disconnect() / close().
 */
import { ErrorCodes } from '../../lib/errors.js';
import { harness, type Harness } from './harness.js';

describe('transport: handshake and frames', () => {
  let h: Harness;
  beforeEach(() => (h = harness()));
  afterEach(() => h.dispose());

  it('starts closed and dials nothing until connect()', async () => {
    await h.settle();
    h.advance(60_000);
    expect(h.sockets.length).toBe(0);
    expect(h.stateNames()).toEqual(['closed']);
  });

  it('sends hello { protocol, client_id, last_lsn, token } first and is open only after welcome', async () => {
    h.setLsn(42);
    h.transport.connect();
    const s = await h.socket(0);
    expect(s.url).toBe('ws://fake.invalid/sync');
    expect(h.stateNames()).toEqual(['closed', 'connecting']);
    s.open();
    await h.until(() => s.sent.length > 0, 'hello');
    expect(s.frames()).toEqual([{ type: 'hello', protocol: 1, client_id: 'client-1', last_lsn: 42, token: 'token-1' }]);
    expect(h.stateNames()).toEqual(['closed', 'connecting', 'handshaking']);
    s.receive({ type: 'welcome', server_lsn: 7, server_id: 'srv' });
    expect(h.stateNames()).toEqual(['closed', 'connecting', 'handshaking', 'open']);
    expect(h.messages).toEqual([{ type: 'welcome', server_lsn: 7, server_id: 'srv' }]);
  });

  it('replays the current state to a late subscriber', async () => {
    h.transport.connect();
    await h.handshake(await h.socket(0));
    const seen: string[] = [];
    h.transport.state$.subscribe((s) => seen.push(s)).unsubscribe();
    expect(seen).toEqual(['open']);
  });

  it('passes decoded frames on message$, swallows pong, answers ping with the same t', async () => {
    h.transport.connect();
    const s = await h.socket(0);
    await h.handshake(s);
    s.receive({ type: 'pong', t: 5 });
    s.receive({ type: 'ping', t: 9 });
    s.receive({ type: 'server_changes', prev_lsn: 0, lsn: 1, changes: [] });
    s.receive({ type: 'error', code: ErrorCodes.CLIENT_AHEAD, message: 'ahead', lsn: 3 });
    expect(h.messages.map((m) => m.type)).toEqual(['welcome', 'server_changes', 'error']);
    expect(s.frames().slice(1)).toEqual([{ type: 'pong', t: 9 }]);
    expect(h.errors).toEqual([]);
  });

  it('reports an undecodable frame as a ProtocolError and keeps the connection', async () => {
    h.transport.connect();
    const s = await h.socket(0);
    await h.handshake(s);
    s.receive('{not json');
    s.receive({ type: 'server_changes', prev_lsn: 0, lsn: 'x', changes: [] });
    s.receive({ type: 'mystery' });
    s.receive({ type: 'server_changes', prev_lsn: 0, lsn: 1, changes: [] });
    expect(h.errors.map((e) => [e.code, e.name])).toEqual([
      [ErrorCodes.PROTOCOL, 'ProtocolError'],
      [ErrorCodes.PROTOCOL, 'ProtocolError'],
      [ErrorCodes.PROTOCOL, 'ProtocolError'],
    ]);
    expect(h.errors[1]!.path).toBe('lsn');
    expect(h.messages.map((m) => m.type)).toEqual(['welcome', 'server_changes']);
    expect(h.stateNames().at(-1)).toBe('open');
    expect(s.closedWith).toBeNull();
  });

  it('sends at once while open; refuses a hello from outside', async () => {
    h.transport.connect();
    const s = await h.socket(0);
    await h.handshake(s);
    expect(h.transport.send({ type: 'ack', lsn: 3 })).toBeTrue();
    expect(h.transport.send({ type: 'hello', protocol: 1, client_id: 'x', last_lsn: 0 })).toBeFalse();
    expect(s.frames().map((f) => f.type)).toEqual(['hello', 'ack']);
  });

  it('buffers at most bufferSize frames while not open, refuses the rest, flushes them after welcome behind hello', async () => {
    const sent = [1, 2, 3, 4, 5].map((lsn) => h.transport.send({ type: 'ack', lsn }));
    expect(sent).toEqual([true, true, true, false, false]);
    h.transport.connect();
    const s = await h.socket(0);
    s.open();
    await h.until(() => s.sent.length > 0, 'hello');
    // Still handshaking: frames keep waiting (the buffer is full, so this one is refused).
    expect(h.transport.send({ type: 'ack', lsn: 6 })).toBeFalse();
    expect(s.frames().map((f) => f.type)).toEqual(['hello']);
    s.receive({ type: 'welcome', server_lsn: 0 });
    expect(s.frames()).toEqual([
      jasmine.objectContaining({ type: 'hello' }),
      { type: 'ack', lsn: 1 },
      { type: 'ack', lsn: 2 },
      { type: 'ack', lsn: 3 },
    ]);
    // Flushed: the buffer has room again.
    h.transport.disconnect();
    expect(h.transport.send({ type: 'ack', lsn: 7 })).toBeTrue();
  });

  it('a frame sent while the socket is already closing goes to the buffer, not into the void', async () => {
    h.transport.connect();
    const s0 = await h.socket(0);
    await h.handshake(s0);
    s0.readyState = 2; // the server's close frame arrived; the close event has not yet
    expect(h.transport.send({ type: 'ack', lsn: 9 })).toBeTrue();
    expect(s0.frames().map((f) => f.type)).toEqual(['hello']);
    s0.drop(1000);
    await h.settle();
    h.advance(50);
    const s1 = await h.socket(1);
    await h.handshake(s1);
    expect(s1.frames()).toEqual([jasmine.objectContaining({ type: 'hello' }), { type: 'ack', lsn: 9 }]);
  });

  it('reconnect() drops the frames buffered for the old connection (the engine re-derives them after the next handshake)', async () => {
    h.transport.connect();
    const s0 = await h.socket(0);
    await h.handshake(s0);
    s0.readyState = 2;
    expect(h.transport.send({ type: 'ack', lsn: 9 })).toBeTrue();
    h.transport.reconnect();
    const s1 = await h.socket(1);
    await h.handshake(s1);
    expect(h.transport.send({ type: 'ack', lsn: 10 })).toBeTrue();
    expect(s1.frames()).toEqual([jasmine.objectContaining({ type: 'hello' }), { type: 'ack', lsn: 10 }]);
  });

  it('after a drop, a welcome from ANOTHER server gets the buffered changes but not the acks and requests about the old log', async () => {
    h.dispose();
    let serverId = 'server-A';
    h = harness({ hello: () => ({ client_id: 'client-1', last_lsn: 9, server_id: serverId }) });
    h.transport.connect();
    const s0 = await h.socket(0);
    await h.handshake(s0);
    // The connection drops; meanwhile the engine's frames wait in the buffer.
    s0.drop();
    const change = { type: 'client_change' as const, changes: [{ change_id: 'c1', entity: 'todos', entity_id: 'a', op: 'insert' as const, data: { id: 'a' } }] };
    h.transport.send({ type: 'ack', lsn: 9 });
    h.transport.send(change);
    h.transport.send({ type: 'sync_request', from_lsn: 9 });
    await h.settle();
    h.advance(1000);
    const s1 = await h.socket(1);
    s1.open();
    await h.until(() => s1.sent.length > 0, 'hello');
    s1.receive({ type: 'welcome', server_lsn: 0, server_id: 'server-B' });
    expect(s1.frames()).toEqual([jasmine.objectContaining({ type: 'hello' }), change]);
    // The same server again (a plain reconnect): everything buffered goes, in order.
    serverId = 'server-B';
    s1.drop();
    h.transport.send({ type: 'ack', lsn: 3 });
    h.transport.send(change);
    await h.settle();
    h.advance(1000);
    const s2 = await h.socket(2);
    s2.open();
    await h.until(() => s2.sent.length > 0, 'hello');
    s2.receive({ type: 'welcome', server_lsn: 3, server_id: 'server-B' });
    expect(s2.frames()).toEqual([jasmine.objectContaining({ type: 'hello' }), { type: 'ack', lsn: 3 }, change]);
    expect(s1.frames()[0]).not.toEqual(jasmine.objectContaining({ server_id: jasmine.anything() }));
  });

  it('disconnect() closes with 1000 and stays closed; connect() dials again at once', async () => {
    h.transport.connect();
    const s0 = await h.socket(0);
    await h.handshake(s0);
    h.transport.disconnect();
    expect(s0.closedWith).toEqual({ code: 1000, reason: 'disconnect', terminated: false });
    expect(h.stateNames().at(-1)).toBe('closed');
    await h.settle();
    h.advance(600_000);
    expect(h.sockets.length).toBe(1);
    expect(h.errors).toEqual([]);
    h.transport.connect();
    const s1 = await h.socket(1);
    expect(s1.dialledAt).toBe(600_000);
  });

  it('close() closes the socket, completes the observables, and ignores later commands', async () => {
    h.transport.connect();
    const s = await h.socket(0);
    await h.handshake(s);
    let completed = 0;
    h.transport.state$.subscribe({ complete: () => completed++ });
    h.transport.message$.subscribe({ complete: () => completed++ });
    h.transport.errors$.subscribe({ complete: () => completed++ });
    h.transport.close();
    expect(s.closedWith?.code).toBe(1000);
    expect(completed).toBe(3);
    expect(h.transport.send({ type: 'ack', lsn: 1 })).toBeFalse();
    h.transport.connect();
    await h.settle();
    h.advance(60_000);
    expect(h.sockets.length).toBe(1);
  });
});
