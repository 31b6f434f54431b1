/**
 * Counts of a fault spec (schedules, cases, faults injected, lost, duplicated, divergent...),
 * printed as one line when the spec file ends and, when `RSW_FAULTS_REPORT` names a file (Node),
 * appended to it as one JSON line for `npm run test:faults` to sum up. Node specs only.
 */
import fs from 'node:fs';

/** One spec file's counts. Any field may be absent. */
export interface Counts {
  schedules?: number;
  cases?: number;
  changes?: number;
  faults?: Record<string, number>;
  lost?: number;
  duplicated?: number;
  divergent?: number;
  failed?: number;
  other?: number;
}

/** Accumulates one spec file's counts. */
export class Tally {
  readonly counts: Required<Omit<Counts, 'faults'>> & { faults: Record<string, number> } = {
    schedules: 0, cases: 0, changes: 0, faults: {}, lost: 0, duplicated: 0, divergent: 0, failed: 0, other: 0,
  };

  constructor(
    readonly name: string,
    readonly seed: number | null,
  ) {}

  /** Add counts. */
  add(c: Counts): void {
    const t = this.counts;
    t.schedules += c.schedules ?? 0;
    t.cases += c.cases ?? 0;
    t.changes += c.changes ?? 0;
    t.lost += c.lost ?? 0;
    t.duplicated += c.duplicated ?? 0;
    t.divergent += c.divergent ?? 0;
    t.failed += c.failed ?? 0;
    t.other += c.other ?? 0;
    for (const [k, v] of Object.entries(c.faults ?? {})) t.faults[k] = (t.faults[k] ?? 0) + v;
  }

  /** One line for the log. */
  line(): string {
    const t = this.counts;
    const faults = Object.entries(t.faults).map(([k, v]) => `${k} ${v}`).join(', ');
    const injected = Object.values(t.faults).reduce((a, b) => a + b, 0);
    return (
      `[faults] ${this.name}${this.seed === null ? '' : ` (seed ${this.seed})`}: ${t.schedules} schedules, ${t.cases} cases, ` +
      `${t.changes} changes, ${injected} faults injected${faults ? ` (${faults})` : ''}; ` +
      `lost ${t.lost}, duplicated ${t.duplicated}, divergent ${t.divergent}, failed ${t.failed}, other ${t.other}`
    );
  }

  /** Print the line, and append the counts to $RSW_FAULTS_REPORT when set. */
  report(): void {
    console.log(`\n${this.line()}`);
    const file = process.env['RSW_FAULTS_REPORT'];
    if (file) fs.appendFileSync(file, JSON.stringify({ name: this.name, seed: this.seed, ...this.counts }) + '\n');
  }
}
