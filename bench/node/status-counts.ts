/**
 * What one status read of the pending / failed counts costs with many changes pending (not a
 * spec: prints figures). status$ reads them after every batch of engine events.
 *
 *   node --import tsx bench/node/status-counts.ts [pending=10000]
 *
 * Prints the store's counts() (kept by triggers, store migration 3) against the count(*) query it
 * replaced, on the same database, and one-change transactions per second for scale.
 */
import { openStore } from '../../lib/store/open.js';
import { memoryPersistence } from '../../lib/store/persistence.js';

const pending = Number(process.argv[2] ?? 10_000);
const schema = { items: { primaryKey: 'id', columns: { id: 'TEXT', v: 'TEXT' } } };
const store = await openStore({ schema, persistence: memoryPersistence() });
for (let i = 0; i < pending; i += 1000) {
  store.recordLocalChanges(Array.from({ length: Math.min(1000, pending - i) }, (_, k) => ({ op: 'insert' as const, entity: 'items', entity_id: `r${i + k}`, data: { id: `r${i + k}`, v: 'x' } })), 1);
}
const countStar = () => store.query("SELECT (SELECT count(*) FROM local_changes WHERE status = 'pending') AS p, (SELECT count(*) FROM local_changes WHERE status = 'failed') AS f");
const perCall = (fn: () => unknown, n = 1000): number => {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return ((performance.now() - t0) / n) * 1000;
};
for (let round = 0; round < 5; round++) {
  console.log(`round ${round}: counts() ${perCall(() => store.counts()).toFixed(1)} us, count(*) ${perCall(countStar).toFixed(1)} us per read at ${pending} pending`);
}
const t0 = performance.now();
for (let i = 0; i < 2000; i++) store.recordLocalChanges([{ op: 'insert', entity: 'items', entity_id: `w${i}`, data: { id: `w${i}`, v: 'y' } }], 2);
console.log(`one-change record transaction: ${(((performance.now() - t0) / 2000) * 1000).toFixed(1)} us`);
await store.close();
