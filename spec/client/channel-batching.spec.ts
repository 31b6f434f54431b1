import { TestScheduler } from 'rxjs/testing';
import { inProcessChannelPair, workerChannel, type WorkerLike } from '../../lib/client/channel.js';

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

describe('client: in-process channel, messages of one turn travel together', () => {
  it('hands the messages of one turn on in ONE scheduled delivery, in order, as copies, after the turn', () => {
    const scheduler = new TestScheduler(() => undefined);
    const scheduled = spyOn(scheduler, 'schedule').and.callThrough();
    const [a, b] = inProcessChannelPair(scheduler);
    const got: unknown[] = [];
    b.messages$.subscribe((m) => got.push(m));
    const first = { type: 'x', n: 0 };
    a.post(first);
    for (let n = 1; n < 10_000; n++) a.post({ type: 'x', n });
    expect(got).toEqual([]); // not during the posting turn
    expect(scheduled).toHaveBeenCalledTimes(1);
    scheduler.flush();
    expect(got.length).toBe(10_000);
    expect(got.map((m) => (m as { n: number }).n)).toEqual(Array.from({ length: 10_000 }, (_, n) => n));
    expect(got[0]).toEqual(first);
    expect(got[0]).not.toBe(first);
    // The next turn is a delivery of its own, and the other direction works the same way.
    const back: unknown[] = [];
    a.messages$.subscribe((m) => back.push(m));
    a.post({ type: 'y' });
    b.post({ type: 'z' });
    expect(scheduled).toHaveBeenCalledTimes(3);
    scheduler.flush();
    expect(got[10_000]).toEqual({ type: 'y' });
    expect(back).toEqual([{ type: 'z' }]);
  });

  it('stops delivering once terminated', () => {
    const scheduler = new TestScheduler(() => undefined);
    const [a, b] = inProcessChannelPair(scheduler);
    const got: unknown[] = [];
    let completed = false;
    b.messages$.subscribe({ next: (m) => got.push(m), complete: () => (completed = true) });
    a.post({ type: 'late' });
    b.terminate();
    scheduler.flush();
    expect(completed).toBeTrue();
    expect(got).toEqual([]);
  });
});
