/**
 * `rx-sync-worker/worker-entry`: a self-starting sync worker for apps whose bundler does not bundle
 * a worker that lives inside a dependency (the Angular CLI). The app's own worker file is one line,
 * `import 'rx-sync-worker/worker-entry';`, and the client gets
 * `worker: () => new Worker(new URL('./sync.worker', import.meta.url), { type: 'module' })`.
 *
 * Such a bundler does not emit the wasm next to the module either, so this entry carries a copy:
 * when `new URL('./sql-wasm.wasm', import.meta.url)` serves no wasm, it loads the embedded one
 * (a lazy chunk where the bundler splits, base64 inside the worker where it does not).
 */
import { startWorker } from './start-worker.js';

startWorker({
  wasmFallback: () => import('../store/sql-wasm-inline.js').then((m) => decodeBase64(m.SQL_WASM_BASE64)),
});

function decodeBase64(text: string): Uint8Array {
  if (text === '') throw new Error('this build has no embedded sql.js wasm (it is added by `npm run build`)');
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
