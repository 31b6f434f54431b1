import { addMetrics, createLogger, emptyMetrics, type LogRecord } from '../../lib/log/index.js';

describe('logger and metrics', () => {
  it('writes records at or above its level, with time and merged context', () => {
    const records: LogRecord[] = [];
    const log = createLogger({ level: 'info', sink: (r) => records.push(r), now: () => 42 });
    log.debug('hidden');
    log.info('hello', { a: 1 });
    log.child({ part: 'engine' }).warn('careful', { b: 2 });
    expect(records).toEqual([
      { level: 'info', time: 42, message: 'hello', context: { a: 1 } },
      { level: 'warn', time: 42, message: 'careful', context: { part: 'engine', b: 2 } },
    ]);
    const silent: LogRecord[] = [];
    createLogger({ level: 'silent', sink: (r) => silent.push(r) }).error('nope');
    expect(silent).toEqual([]);
  });

  it('adds metric deltas without changing the input snapshot', () => {
    const m0 = emptyMetrics();
    const m1 = addMetrics(m0, { changesSent: 3, applyTimeMs: 1.5 });
    expect(m0.changesSent).toBe(0);
    expect(m1).toEqual({ ...m0, changesSent: 3, applyTimeMs: 1.5 });
  });
});
