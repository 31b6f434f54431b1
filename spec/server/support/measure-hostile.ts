/**
 * Prints the hostile-client figures of issue #12 for one server build (not a spec: a measuring
 * script; timing goals live here, not in specs):
 *
 *   node --import tsx spec/server/support/measure-hostile.ts [--root <checkout>] [--rows N] [--db file|:memory:] [--dist]
 *
 * It runs `<root>/server/cli.ts` through tsx as a child process (default: this checkout), or with
 * `--dist` the built `<root>/dist/server/cli.js` that the `rx-sync-server` bin runs (`npm run build`
 * first; tsx's compiler alone holds tens of MB, which a deployment does not carry), seeds a log, then
 * 1. flood: one client sends 200 `sync_request`s at once while a probe pings every 10 ms:
 *    the probe's round-trip p50 / p99 / max;
 * 2. non-readers: 12 clients stop reading their socket and ask for the whole log 50 times each:
 *    the server's peak RSS (VmHWM of the child) after 10 s.
 * Compare two builds in one run: `--root /path/to/main` then this checkout.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';

const { values } = parseArgs({ options: { root: { type: 'string', default: process.cwd() }, rows: { type: 'string', default: '20000' }, db: { type: 'string', default: ':memory:' }, dist: { type: 'boolean', default: false } } });
const root = resolve(values.root);
const rows = Number(values.rows);
const dir = mkdtempSync(join(tmpdir(), 'rsw-measure-'));
const schemaFile = join(dir, 'schema.json');
writeFileSync(schemaFile, JSON.stringify({ todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT' } } }));

const entry = values.dist ? [join(root, 'dist/server/cli.js')] : ['--import', 'tsx', join(root, 'server/cli.ts')];
const child = spawn(process.execPath, [...entry, '--schema', schemaFile, '--port', '0', '--db', values.db === ':memory:' ? ':memory:' : join(dir, 'sync.sqlite'), '--log-level', 'error'], {
  cwd: root,
  env: { ...process.env, RSW_AUTH_SECRET: '' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<string>((ok, fail) => {
  child.stdout.on('data', (b: Buffer) => {
    const m = /listening on (ws:\/\/\S+)/.exec(b.toString());
    if (m) ok(m[1]!);
  });
  child.once('exit', (code) => fail(new Error(`server exited ${code}`)));
});

function vm(field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface Conn {
  ws: WebSocket;
  frames: (fn: (f: { type: string; [k: string]: unknown }) => void) => void;
}
/** `cheap`: big frames are not parsed (the flooder must not make THIS process the bottleneck). */
async function connect(clientId: string, cheap = false): Promise<Conn> {
  const ws = new WebSocket(url, { skipUTF8Validation: cheap });
  const listeners: Array<(f: { type: string }) => void> = [];
  ws.on('message', (d: Buffer) => {
    const f = cheap && d.length > 4096 ? { type: d.subarray(0, 40).toString().includes('sync_response') ? 'sync_response' : 'other' } : (JSON.parse(d.toString()) as { type: string });
    for (const l of listeners) l(f);
  });
  ws.on('error', () => undefined);
  await new Promise((ok) => ws.once('open', ok));
  const welcome = new Promise<void>((ok) => listeners.push((f) => f.type === 'welcome' && ok()));
  ws.send(JSON.stringify({ type: 'hello', protocol: 1, client_id: clientId, last_lsn: 0 }));
  await welcome;
  return { ws, frames: (fn) => listeners.push(fn as (f: { type: string }) => void) };
}

const rssStart = vm('VmRSS');
// Seed: `rows` rows of ~1 KB, 500 per frame.
const writer = await connect('seed-writer');
let acked = 0;
const allAcked = new Promise<void>((ok) => writer.frames((f) => f.type === 'change_ack' && ++acked === Math.ceil(rows / 500) && ok()));
for (let i = 0; i < rows; i += 500) {
  const changes = Array.from({ length: Math.min(500, rows - i) }, (_, k) => ({ change_id: `s${i + k}`, entity: 'todos', entity_id: `r${i + k}`, op: 'insert', data: { id: `r${i + k}`, title: 'x'.repeat(1000) } }));
  writer.ws.send(JSON.stringify({ type: 'client_change', changes }));
}
await allAcked;
writer.ws.close();
const rssSeeded = vm('VmRSS');

// 1. Flood while a probe pings.
const probe = await connect('probe');
const flooder = await connect('flooder', true);
let answered = 0;
const floodDone = new Promise<void>((ok) => flooder.frames((f) => (f.type === 'sync_response' || f.type === 'error') && ++answered >= 200 && ok()));
const rtts: number[] = [];
probe.frames((f) => f.type === 'pong' && typeof f['t'] === 'number' && rtts.push(performance.now() - (f['t'] as number) / 1000));
const pinger = setInterval(() => probe.ws.send(JSON.stringify({ type: 'ping', t: Math.round(performance.now() * 1000) })), 10);
const t0 = performance.now();
for (let i = 0; i < 200; i++) flooder.ws.send(JSON.stringify({ type: 'sync_request', from_lsn: 0 }));
await Promise.race([floodDone, new Promise((ok) => setTimeout(ok, 30_000))]);
const floodMs = performance.now() - t0;
await new Promise((ok) => setTimeout(ok, 100));
clearInterval(pinger);
rtts.sort((a, b) => a - b);
const q = (p: number) => rtts[Math.min(rtts.length - 1, Math.floor(p * rtts.length))] ?? NaN;
flooder.ws.close();
probe.ws.close();

// 2. Twelve clients that never read. The peak is read for this phase alone: the kernel's
// high-water mark is reset first (clear_refs 5), so seeding and the flood do not count.
await new Promise((ok) => setTimeout(ok, 500));
const rssBefore = vm('VmRSS');
writeFileSync(`/proc/${child.pid}/clear_refs`, '5');
const readers = await Promise.all(Array.from({ length: 12 }, (_, i) => connect(`nonreader-${i}`)));
for (const r of readers) {
  r.ws.pause();
  for (let k = 0; k < 50; k++) r.ws.send(JSON.stringify({ type: 'sync_request', from_lsn: 0 }));
}
await new Promise((ok) => setTimeout(ok, 10_000));
const peak = vm('VmHWM');
for (const r of readers) r.ws.terminate();

console.log(
  JSON.stringify({
    root,
    rows,
    db: values.db,
    entry: values.dist ? 'dist' : 'tsx',
    rss_start_mb: Math.round(rssStart),
    rss_after_seed_mb: Math.round(rssSeeded),
    flood: { answered, flood_ms: Math.round(floodMs), pings: rtts.length, p50_ms: +q(0.5).toFixed(1), p99_ms: +q(0.99).toFixed(1), max_ms: +(rtts[rtts.length - 1] ?? NaN).toFixed(1) },
    nonreaders: { clients: 12, rss_before_mb: Math.round(rssBefore), peak_rss_mb: Math.round(peak) },
  }),
);
child.kill('SIGTERM');
await new Promise((ok) => child.once('exit', ok));
rmSync(dir, { recursive: true, force: true });
