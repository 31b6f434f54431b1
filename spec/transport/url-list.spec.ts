/**
 * Several server URLs (nodes of one deployment): the first dial uses the first; a connection that
 * fails or is lost makes the next dial use the next URL, in turn, with the usual backoff, and the
 * hello there carries the client's LSN (it resumes where it was).
 */
import { harness, type Harness } from './harness.js';

describe('transport: a list of URLs', () => {
  let h: Harness;
  afterEach(() => h.dispose());

  it('fails over to the next URL after a refused or lost connection, in turn, resuming from its LSN', async () => {
    h = harness({ url: ['ws://node-a.invalid/sync', 'ws://node-b.invalid/sync', 'ws://node-c.invalid/sync'] });
    h.transport.connect();
    const a = await h.socket(0);
    expect(a.url).toBe('ws://node-a.invalid/sync');
    h.setLsn(7);
    await h.handshake(a);
    a.drop(1006); // node A died mid-stream
    await h.settle();
    h.advance(1000);
    const b = await h.socket(1);
    expect(b.url).toBe('ws://node-b.invalid/sync');
    b.fail('connection refused'); // node B is down too
    await h.settle();
    h.advance(1000);
    const c = await h.socket(2);
    expect(c.url).toBe('ws://node-c.invalid/sync');
    await h.handshake(c);
    expect(c.frames()[0]).toEqual(jasmine.objectContaining({ type: 'hello', last_lsn: 7 }));
    c.drop(1006);
    await h.settle();
    h.advance(1000);
    expect((await h.socket(3)).url).toBe('ws://node-a.invalid/sync'); // and round again
  });

  it('with one URL keeps dialling it', async () => {
    h = harness();
    h.transport.connect();
    const s = await h.socket(0);
    s.fail('refused');
    await h.settle();
    h.advance(1000);
    expect((await h.socket(1)).url).toBe(s.url);
  });
});
