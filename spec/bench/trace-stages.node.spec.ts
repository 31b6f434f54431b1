/**
 * bench/driver/trace-stages.ts: the per-stage trace of end_to_end_latency puts the server's times
 * on Chromium's clock with an offset found on A's own socket (within its stated bound), and gives
 * each stage the interval from the one before, after the warm-up.
 */
import type { E2eTrace } from '../../bench/page/e2e.js';
import { stageTrace } from '../../bench/driver/trace-stages.js';
import type { ServerTrace, WorkerTrace } from '../../bench/shared/trace.js';
import { rowId } from '../../bench/shared/data.js';

/** Node's clock runs this far ahead of Chromium's in the synthetic records. */
const OFFSET = 1000;

/** Ten changes 100 ms apart; change 5's frame takes 0.3 ms to the server and its ack 0.1 ms back, the others 0.5 both ways. */
function records(): { page: E2eTrace; server: ServerTrace } {
  const worker = (clientId: string): WorkerTrace => ({ clientId, requestIn: {}, out: {}, ackIn: {}, changesIn: {}, durable: {}, applied: {} });
  const a = worker('A');
  const b = worker('B');
  const server: ServerTrace = { in: {}, handled: {}, finished: {}, writing: {}, ack: {}, broadcast: { B: {} } };
  const page: E2eTrace = { prefix: 'p', sentAt: [], recordedAt: [], seenAt: [], workers: { a, b } };
  for (let i = 0; i < 10; i++) {
    const c = `c${i}`;
    const t = 100 * i;
    const [there, back] = i === 5 ? [0.3, 0.1] : [0.5, 0.5];
    page.sentAt.push(t);
    a.requestIn[rowId('p', i)] = t + 0.25;
    a.durable[c] = t + 1;
    page.recordedAt.push(t + 1.2);
    a.out[c] = [t + 2, rowId('p', i)];
    server.in[c] = t + 2 + there + OFFSET;
    server.handled[c] = t + 2.25 + there + OFFSET;
    server.writing[c] = t + 2.5 + there + OFFSET;
    server.ack[c] = t + 3 + there + OFFSET;
    server.finished[c] = t + 3.5 + there + OFFSET;
    a.ackIn[c] = t + 3 + there + back;
    server.broadcast['B']![c] = t + 3.25 + there + OFFSET;
    b.changesIn[c] = [t + 4 + there, i + 1];
    b.applied[c] = t + 5 + there;
    page.seenAt.push(t + 7 + there);
  }
  return { page, server };
}

describe('bench per-stage trace', () => {
  it("estimates the clock offset from the tightest round trip on A's socket, within its bound", () => {
    const { page, server } = records();
    const trace = stageTrace(page, server, 2);
    // Change 5: 0.4 ms on the wire both ways, so the bound is 0.2; the asymmetry puts the estimate 0.1 off.
    expect(trace.clock.uncertainty_ms).toBeCloseTo(0.2, 9);
    expect(trace.clock.offset_ms).toBeCloseTo(OFFSET + 0.1, 9);
    expect(Math.abs(trace.clock.offset_ms - OFFSET)).toBeLessThanOrEqual(trace.clock.uncertainty_ms);
  });

  it('gives each stage the interval from the one before, after the warm-up', () => {
    const { page, server } = records();
    const trace = stageTrace(page, server, 2);
    expect(trace.changes).toBe(8);
    const byName = Object.fromEntries(trace.stages.map((s) => [s.name, s]));
    // The 7 regular changes decide the median; the server's times are moved by the estimated offset (0.1 ms off).
    expect(byName["A's worker in"]!.p50).toBeCloseTo(0.25, 9);
    expect(byName['A durable']!.p50).toBeCloseTo(0.75, 9);
    expect(byName['frame out']!.p50).toBeCloseTo(1, 9);
    expect(byName['server in']!.p50).toBeCloseTo(0.5 - 0.1, 9);
    expect(byName['server in']!.cross_clock).toBeTrue();
    expect(byName['server handles']!.p50).toBeCloseTo(0.25, 9);
    expect(byName['server writes']!.p50).toBeCloseTo(0.25, 9);
    expect(byName['server commit']!.p50).toBeCloseTo(0.5, 9);
    expect(byName['server commit']!.cross_clock).toBeFalse();
    expect(byName['broadcast']!.p50).toBeCloseTo(0.25, 9);
    expect(byName['B received']!.p50).toBeCloseTo(0.75 + 0.1, 9);
    expect(byName['B applied']!.p50).toBeCloseTo(1, 9);
    expect(byName["B's live query"]!.p50).toBeCloseTo(2, 9);
    expect(trace.insert_resolved.p50).toBeCloseTo(1.2, 9);
    expect(trace.server_frame.p50).toBeCloseTo(1.25, 9);
    expect(trace.server_frame.cross_clock).toBeFalse();
    for (const s of trace.stages) expect(s.n).withContext(s.name).toBe(8);
  });

  it('names the stages the slowest 1% spend their time in', () => {
    const { page, server } = records();
    // Change 8 is the slowest: B's live query saw it 40 ms late.
    page.seenAt[8]! += 40;
    const trace = stageTrace(page, server, 2);
    expect(trace.tail.n).toBe(1);
    expect(trace.tail.threshold_ms).toBeCloseTo(7 + 40 + 0.5, 9);
    const byName = Object.fromEntries(trace.tail.stages.map((s) => [s.name, s.mean]));
    expect(byName["B's live query"]).toBeCloseTo(42, 9);
    expect(byName['A durable']).toBeCloseTo(0.75, 9);
    expect(trace.tail.stages.reduce((sum, s) => sum + s.mean, 0)).toBeCloseTo(trace.tail.threshold_ms, 9);
  });

  it('fails on a change missing a stage, naming it', () => {
    const { page, server } = records();
    delete page.workers!.b.applied['c7'];
    expect(() => stageTrace(page, server, 2)).toThrowError(/change 7 has no "B applied" time/);
    // A change of the warm-up may miss one.
    const warm = records();
    delete warm.server.broadcast['B']!['c1'];
    expect(stageTrace(warm.page, warm.server, 2).changes).toBe(8);
    expect(() => stageTrace(warm.page, warm.server, 1)).toThrowError(/change 1 has no "broadcast" time/);
  });
});
