import { workerChannel, type WorkerLike } from '../../lib/client/channel.js';

/** A fake Worker: records what is posted, and can deliver a message event. */
function fakeWorker(): WorkerLike & { posted: unknown[]; deliver(data: unknown): void; terminated: boolean } {
  const listeners: ((e: { data: unknown }) => void)[] = [];
  return {
    posted: [],
    terminated: false,
    postMessage(m) {
      this.posted.push(m);
    },
    addEventListener: (_t, l) => void listeners.push(l),
    removeEventListener: (_t, l) => void listeners.splice(listeners.indexOf(l), 1),
    deliver: (data) => listeners.forEach((l) => l({ data })),
    terminate() {
      this.terminated = true;
    },
  };
}

describe('client: worker channel, messages of one turn travel together', () => {
  it('posts the messages of one turn as ONE array, a lone message as itself', async () => {
    const w = fakeWorker();
    const ch = workerChannel(w);
    ch.post({ type: 'a' });
    ch.post({ type: 'b' });
    expect(w.posted).toEqual([]); // held until the turn ends
    await Promise.resolve();
    ch.post({ type: 'c' });
    await Promise.resolve();
    expect(w.posted).toEqual([[{ type: 'a' }, { type: 'b' }], { type: 'c' }]);
  });

  it('hands an array on one message at a time, in order, and anything else as it is', () => {
    const w = fakeWorker();
    const got: unknown[] = [];
    const sub = workerChannel(w).messages$.subscribe((m) => got.push(m));
    w.deliver([{ type: 'a' }, { type: 'b' }]);
    w.deliver({ type: 'c' });
    w.deliver('junk');
    sub.unsubscribe();
    expect(got).toEqual([{ type: 'a' }, { type: 'b' }, { type: 'c' }, 'junk']);
  });

  it('terminate sends what is still held first', () => {
    const w = fakeWorker();
    const ch = workerChannel(w);
    ch.post({ type: 'close', id: 1 });
    ch.terminate();
    expect(w.posted).toEqual([{ type: 'close', id: 1 }]);
    expect(w.terminated).toBeTrue();
  });
});
