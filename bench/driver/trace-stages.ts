/**
 * The per-stage trace of end_to_end_latency, from the records of one traced run: per change after
 * the warm-up, the time it reached each stage, and per stage the interval from the stage before.
 *
 * Clocks: the page and its workers share Chromium's clock; the server thread has Node's. The
 * offset between them is estimated NTP-style on A's own socket: for a change, A's worker sends its
 * frame at t1 (Chromium), the server reads it at t2 and acks it at t3 (Node), A's worker reads the
 * ack at t4 (Chromium). The true offset lies within +-delta/2 of ((t2-t1)+(t3-t4))/2, where
 * delta = (t4-t1)-(t3-t2) is the time on the wire both ways; the change with the smallest delta
 * gives the estimate and its bound (the uncertainty). Server times are moved onto Chromium's clock.
 */
import type { E2eTrace } from '../page/e2e.js';
import { rowId } from '../shared/data.js';
import { quantile } from '../shared/stats.js';
import type { ServerTrace } from '../shared/trace.js';
import type { StageFigure, StageTrace } from './report.js';

/** The stages, in path order; `from`: the stage whose time the interval starts at (bench/README.md says what each is). */
const STAGES = [
  { name: "A's worker in", from: "A's call" }, // A's worker gets the page's change_recorded message (the page's turn, postMessage)
  { name: 'A durable', from: "A's worker in" }, // A's worker posts changes_processed (origin local): recorded, durable
  { name: 'frame out', from: 'A durable' }, // A's worker sends the client_change frame
  { name: 'server in', from: 'frame out' }, // the server's socket emits the frame
  { name: 'server handles', from: 'server in' }, // the socket's inbox hands the frame on (waits: frames before it)
  { name: 'server writes', from: 'server handles' }, // the ordered apply queue starts the write (decode, then waits: other frames' writes)
  { name: 'server commit', from: 'server writes' }, // the server sends change_ack (after its commit)
  { name: 'broadcast', from: 'server commit' }, // the server sends B the server_changes frame
  { name: 'B received', from: 'broadcast' }, // B's worker's socket delivers it
  { name: 'B applied', from: 'B received' }, // B's worker posts changes_processed (origin server)
  { name: "B's live query", from: 'B applied' }, // B's live query emits the row
] as const;

/** Stage times that come from the server (Node's clock); the others are Chromium's. */
const SERVER = new Set(['server in', 'server handles', 'server writes', 'server commit', 'broadcast', 'server handled']);

/** Analyse one traced run; changes whose index is below `from` (the warm-up) are left out. */
export function stageTrace(page: E2eTrace, server: ServerTrace, from: number): StageTrace {
  const { a, b } = page.workers ?? {};
  if (!a || !b) throw new Error('trace: the run had no traced workers');
  if (!b.clientId) throw new Error("trace: B's hello was not recorded");
  const toB = server.broadcast[b.clientId] ?? {};
  // A's frames name each change's row; row ids end with the change's index (bench/shared/data.ts rowId).
  const byIndex = new Map<number, string>();
  for (const [changeId, [, entityId]] of Object.entries(a.out)) {
    if (entityId.startsWith(`${page.prefix}-`)) byIndex.set(Number(entityId.slice(page.prefix.length + 1)), changeId);
  }
  // Clock offset (Node minus Chromium), from the round trip with the least time on the wire.
  let best = { delta: Infinity, offset: NaN };
  for (const [c, [t1]] of Object.entries(a.out)) {
    const t2 = server.in[c];
    const t3 = server.ack[c];
    const t4 = a.ackIn[c];
    if (t2 === undefined || t3 === undefined || t4 === undefined) continue;
    const delta = t4 - t1 - (t3 - t2);
    if (delta < best.delta) best = { delta, offset: (t2 - t1 + (t3 - t4)) / 2 };
  }
  if (!Number.isFinite(best.delta)) throw new Error('trace: no change with all four round-trip times (clock offset)');
  const intervals = new Map<string, number[]>(STAGES.map((s) => [s.name, []]));
  const totals: number[] = [];
  const resolved: number[] = [];
  const held: number[] = [];
  let changes = 0;
  for (let i = from; i < page.sentAt.length; i++) {
    const c = byIndex.get(i);
    if (c === undefined) throw new Error(`trace: change ${i} was never sent by A's worker`);
    const at: Record<string, number | undefined> = {
      "A's call": page.sentAt[i],
      "A's worker in": a.requestIn[rowId(page.prefix, i)],
      'A durable': a.durable[c],
      'frame out': a.out[c]?.[0],
      'server in': server.in[c],
      'server handles': server.handled[c],
      'server writes': server.writing[c],
      'server commit': server.ack[c],
      broadcast: toB[c],
      'B received': b.changesIn[c]?.[0],
      'B applied': b.applied[c],
      "B's live query": page.seenAt[i],
    };
    for (const s of SERVER) if (at[s] !== undefined) at[s] = at[s]! - best.offset;
    for (const s of STAGES) {
      const t = at[s.name];
      const t0 = at[s.from];
      if (t === undefined || t0 === undefined) throw new Error(`trace: change ${i} has no "${t === undefined ? s.name : s.from}" time`);
      intervals.get(s.name)!.push(t - t0);
    }
    totals.push(at["B's live query"]! - at["A's call"]!);
    resolved.push(page.recordedAt[i]! - page.sentAt[i]!);
    const end = server.finished[c];
    if (end === undefined) throw new Error(`trace: change ${i} has no end of its frame's handling`);
    held.push(end - server.handled[c]!);
    changes++;
  }
  const figure = (name: string, fromName: string, xs: number[]): StageFigure => ({
    name, from: fromName, p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), min: Math.min(...xs), n: xs.length,
    cross_clock: SERVER.has(name) !== SERVER.has(fromName),
  });
  return {
    changes,
    clock: { offset_ms: best.offset, uncertainty_ms: best.delta / 2 },
    stages: STAGES.map((s) => figure(s.name, s.from, intervals.get(s.name)!)),
    insert_resolved: figure("A's insert resolved", "A's call", resolved),
    server_frame: figure('server handled', 'server handles', held),
    tail: tailOf(totals, intervals),
  };
}

/** The slowest 1% of changes (end to end at or above its p99) and their mean interval per stage. */
function tailOf(totals: readonly number[], intervals: ReadonlyMap<string, number[]>): StageTrace['tail'] {
  const threshold = quantile([...totals], 0.99);
  const slow = totals.flatMap((t, i) => (t >= threshold ? [i] : []));
  const mean = (xs: readonly number[]) => slow.reduce((sum, i) => sum + xs[i]!, 0) / Math.max(1, slow.length);
  return { threshold_ms: threshold, n: slow.length, stages: STAGES.map((s) => ({ name: s.name, from: s.from, mean: mean(intervals.get(s.name)!) })) };
}

/** The printed table: per stage, p50 / p99 quiet and loaded, and which stage grew most under load. */
export function stageTable(quiet: StageTrace, loaded: StageTrace): string[] {
  const f = (n: number) => n.toFixed(3).padStart(9);
  const rows = [`  ${'stage (interval from the previous one)'.padEnd(40)} ${'quiet p50'.padStart(9)} ${'quiet p99'.padStart(9)} ${'load p50'.padStart(9)} ${'load p99'.padStart(9)}  ms`];
  const line = (q: StageFigure, l: StageFigure) => `  ${`${q.from} -> ${q.name}${q.cross_clock ? ' *' : ''}`.padEnd(40)} ${f(q.p50)} ${f(q.p99)} ${f(l.p50)} ${f(l.p99)}`;
  quiet.stages.forEach((q, i) => rows.push(line(q, loaded.stages[i]!)));
  rows.push('  side figures (from the stage named first):');
  rows.push(line(quiet.insert_resolved, loaded.insert_resolved));
  rows.push(line(quiet.server_frame, loaded.server_frame));
  const growth = quiet.stages.map((q, i) => ({ name: `${q.from} -> ${q.name}`, p50: loaded.stages[i]!.p50 - q.p50, p99: loaded.stages[i]!.p99 - q.p99 }));
  const most = (k: 'p50' | 'p99') => {
    const g = growth.reduce((x, y) => (y[k] > x[k] ? y : x));
    return g[k] > 0 ? `${k} grows most at ${g.name} (+${g[k].toFixed(3)} ms)` : `no stage's ${k} grows`;
  };
  rows.push(`  * crosses Chromium <-> Node clocks: offset (Node - Chromium) ${quiet.clock.offset_ms.toFixed(3)} ms +- ${quiet.clock.uncertainty_ms.toFixed(3)} (quiet), ${loaded.clock.offset_ms.toFixed(3)} +- ${loaded.clock.uncertainty_ms.toFixed(3)} (loaded); ${quiet.changes} / ${loaded.changes} changes traced`);
  for (const [label, t] of [['quiet', quiet.tail], ['loaded', loaded.tail]] as const) {
    const parts = [...t.stages].sort((x, y) => y.mean - x.mean).slice(0, 4).map((s) => `${s.from} -> ${s.name} ${s.mean.toFixed(2)}`);
    rows.push(`  slowest 1% ${label} (${t.n} changes >= ${t.threshold_ms.toFixed(2)} ms), mean ms per stage, largest first: ${parts.join(', ')}`);
  }
  rows.push(`  queueing under load (loaded minus quiet, one traced run each): ${most('p50')}, ${most('p99')}`);
  return rows;
}
