/** Marble specs of the heartbeat signal (pure: activity in, ping / dead out). */
import { TestScheduler } from 'rxjs/testing';
import { heartbeat } from '../../lib/transport/index.js';

describe('heartbeat()', () => {
  const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  const opts = { interval: 10, timeout: 5 };

  it('asks for a ping after interval of silence, declares dead timeout later', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const activity = cold('-');
      expectObservable(heartbeat(activity, opts, s), '^ 20ms !').toBe('10ms p 4ms d', { p: 'ping', d: 'dead' });
    });
  });

  it('any received frame restarts the count, so a busy connection never pings', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      // frames at 8, 16, 24: never 10 ms of silence until 34 (ping), then dead at 39
      const activity = cold('8ms a 7ms a 7ms a');
      expectObservable(heartbeat(activity, opts, s), '^ 45ms !').toBe('34ms p 4ms d', { p: 'ping', d: 'dead' });
    });
  });

  it('a frame after the ping (the pong) keeps the connection alive', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const activity = cold('12ms a');
      expectObservable(heartbeat(activity, opts, s), '^ 30ms !').toBe('10ms p 11ms p 4ms d', { p: 'ping', d: 'dead' });
    });
  });
});
