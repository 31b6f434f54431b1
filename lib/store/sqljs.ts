/**
 * Loads sql.js once per realm (worker or Node process) and shares the module between stores.
 */
import initSqlJs from 'sql.js';
import type { SqlJsStatic } from 'sql.js';
import { ErrorCodes, SyncError } from '../errors.js';
import { sqlWasmUrl } from './wasm-url.js';

const loading = new Map<string, Promise<SqlJsStatic>>();

/**
 * Load (once per wasm URL) and return the sql.js module. The wasm comes from `wasmUrl` when given,
 * else from `wasm-url.browser.ts` in a browser bundle (the copy shipped next to the module); in
 * Node sql.js finds its wasm itself. A failed load is not cached, so a later call tries again; it
 * rejects with `worker_start_failed` naming the URL.
 */
export function loadSqlJs(wasmUrl?: string): Promise<SqlJsStatic> {
  const url = wasmUrl ?? sqlWasmUrl();
  const key = url ?? '';
  const cached = loading.get(key);
  if (cached) return cached;
  const attempt = initSqlJs(url === undefined ? {} : { locateFile: () => url }).catch((cause: unknown) => {
    // Forget the failure so that the next open can try again.
    loading.delete(key);
    const from = url === undefined ? "sql.js's own sql-wasm.wasm" : url;
    throw new SyncError(
      ErrorCodes.WORKER_START,
      `could not load the sql.js wasm from ${from}: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        'Serve sql-wasm.wasm (shipped in rx-sync-worker/dist/lib/store/) at that URL, or set the `wasmUrl` option to where it is served.',
      { cause },
    );
  });
  loading.set(key, attempt);
  return attempt;
}
