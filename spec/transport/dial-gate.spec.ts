/** Marble specs of the dial gate: when permits are given. */
import { TestScheduler } from 'rxjs/testing';
import { DialGate } from '../../lib/transport/dial-gate.js';

describe('DialGate', () => {
  const backoff = { initialDelay: 100, maxDelay: 1000, multiplier: 2 };

  function gate(s: TestScheduler, randoms: number[], authRetryDelay = 5000) {
    return new DialGate({ scheduler: s, random: () => randoms.shift() ?? 0, backoff, authRetryDelay });
  }

  it('gives no permit while held, one at release()', () => {
    const s = new TestScheduler((a, e) => expect(a).toEqual(e));
    s.run(({ expectObservable }) => {
      const g = gate(s, []);
      s.schedule(() => g.release(), 30);
      expectObservable(g.permit()).toBe('30ms (x|)', { x: undefined });
    });
  });

  it('after a failure, permits after the jittered delay; a permit is used once', () => {
    const s = new TestScheduler((a, e) => expect(a).toEqual(e));
    s.run(({ expectObservable }) => {
      const g = gate(s, [0.5, 0.5]);
      g.release();
      g.permit().subscribe(); // the first dial takes the permit
      expect(g.retryLater()).toBe(50);
      expectObservable(g.permit()).toBe('50ms (x|)', { x: undefined });
      s.schedule(() => expect(g.retryLater()).toBe(100), 60); // retry 2: 0.5 * 200
    });
  });

  it('an online event ends a backoff wait', () => {
    const s = new TestScheduler((a, e) => expect(a).toEqual(e));
    s.run(({ expectObservable }) => {
      const g = gate(s, [0.9]);
      g.release();
      g.permit().subscribe();
      g.retryLater(); // 90 ms
      s.schedule(() => g.online(), 20);
      expectObservable(g.permit()).toBe('20ms (x|)', { x: undefined });
    });
  });

  it('an online event does not end an auth wait', () => {
    const s = new TestScheduler((a, e) => expect(a).toEqual(e));
    s.run(({ expectObservable }) => {
      const g = gate(s, []);
      g.release();
      g.permit().subscribe();
      expect(g.authRejected()).toBe(5000);
      s.schedule(() => g.online(), 20);
      expectObservable(g.permit()).toBe('5000ms (x|)', { x: undefined });
    });
  });

  it('hold() cancels a pending wait; retryLater() while held schedules nothing', () => {
    const s = new TestScheduler((a, e) => expect(a).toEqual(e));
    s.run(({ expectObservable }) => {
      const g = gate(s, [0.5]);
      g.release();
      g.permit().subscribe();
      g.retryLater();
      s.schedule(() => g.hold(), 10);
      s.schedule(() => expect(g.retryLater()).toBeNull(), 20);
      expectObservable(g.permit(), '^ 10s !').toBe('-');
    });
  });
});
