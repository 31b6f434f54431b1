/**
 * The end_to_end_latency baseline: two bare WebSockets in the page through the bare fan-out
 * server (bench/node/server-thread.ts, kind `fanout`): A sends one-change frames at the same
 * steady rate, B JSON.parses what the server forwards. No worker, no SQLite, no log.
 */
import { makeRow, mulberry32 } from '../shared/data.js';
import type { Samples } from './record.js';

function connect(url: string, onFrame: (text: string) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.onerror = () => reject(new Error('relay socket failed'));
    ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', protocol: 1, client_id: 'relay', last_lsn: 0 }));
    // The first frame is the welcome; then every frame goes to onFrame.
    ws.onmessage = () => {
      ws.onmessage = (m: MessageEvent<string>) => onFrame(m.data);
      resolve(ws);
    };
  });
}

/** A -> bare server -> B at `rate` frames/s for `seconds`; samples after `warmupSeconds`. */
export async function relayLatency(p: { url: string; rate: number; seconds: number; warmupSeconds: number; seed: number }): Promise<Samples> {
  const total = Math.round(p.rate * p.seconds);
  const sentAt = new Float64Array(total);
  const seenAt = new Float64Array(total);
  let seen = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  const b = await connect(p.url, (text) => {
    if (!text.startsWith('{"type":"server_changes"')) return;
    JSON.parse(text);
    if (seen < total) seenAt[seen++] = performance.now();
    if (seen === total) done();
  });
  const a = await connect(p.url, () => undefined);
  const rnd = mulberry32(p.seed);
  const t0 = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * p.rate) + 1);
      while (sent < due) {
        const data = makeRow(rnd, 'relay', sent);
        sentAt[sent] = performance.now();
        a.send(JSON.stringify({ type: 'client_change', changes: [{ change_id: `r${sent}`, entity: 'items', entity_id: data.id, op: 'insert', data }] }));
        sent++;
      }
      if (sent < total) setTimeout(tick, 0);
      else resolve();
    };
    tick();
  });
  await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error(`relay: B saw ${seen} of ${total}`)), 30_000))]);
  a.close();
  b.close();
  const samples: number[] = [];
  for (let i = Math.floor(p.rate * p.warmupSeconds); i < total; i++) samples.push(seenAt[i]! - sentAt[i]!);
  return { samples };
}
