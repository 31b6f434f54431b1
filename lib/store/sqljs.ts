/**
 * Loads sql.js once per realm (worker or Node process) and shares the module between stores.
 */
import initSqlJs from './sql-js.js';
import type { SqlJsStatic } from 'sql.js';
import { ErrorCodes, SyncError } from '../errors.js';
import { sqlWasmUrl } from './wasm-url.js';

import type { WasmFallback } from './wasm-source.js';

export type { WasmFallback };

const loading = new Map<string, Promise<SqlJsStatic>>();

/**
 * Load (once per wasm URL) and return the sql.js module. The wasm comes from `wasmUrl` when given,
 * else (browser) from the copy shipped next to the module (`wasm-url.browser.ts`); in Node sql.js
 * finds its wasm itself. The bytes are fetched here, not by sql.js, because sql.js keeps a failed
 * start for good: so a URL that 404s (or serves an HTML page) can fall back to `fallback`, and a
 * failed load is not cached. Rejects with `worker_start_failed` naming the URL.
 */
export function loadSqlJs(wasmUrl?: string, fallback?: WasmFallback): Promise<SqlJsStatic> {
  const url = wasmUrl ?? sqlWasmUrl();
  const key = url ?? '';
  const cached = loading.get(key);
  if (cached) return cached;
  const attempt = (url === undefined ? initSqlJs({}) : fetchWasm(url, wasmUrl === undefined ? fallback : undefined).then((wasmBinary) => initSqlJs({ wasmBinary })))
    .catch((cause: unknown) => {
      // Forget the failure so that the next open can try again.
      loading.delete(key);
      if (cause instanceof SyncError) throw cause;
      throw startError(url ?? "sql.js's own sql-wasm.wasm", cause);
    });
  loading.set(key, attempt);
  return attempt;
}

/** The wasm at `url` (checked: a 404 page or an SPA's index.html is not a wasm), else the fallback's. */
async function fetchWasm(url: string, fallback: WasmFallback | undefined): Promise<ArrayBuffer> {
  let problem: unknown;
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d) return bytes.buffer as ArrayBuffer;
    throw new Error(`not a wasm file (${res.headers.get('content-type') ?? 'no content type'})`);
  } catch (e) {
    problem = e;
  }
  if (!fallback) throw startError(url, problem);
  const bytes = await fallback();
  return bytes instanceof Uint8Array ? (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer) : bytes;
}

function startError(from: string, cause: unknown): SyncError {
  return new SyncError(
    ErrorCodes.WORKER_START,
    `could not load the sql.js wasm from ${from}: ${cause instanceof Error ? cause.message : String(cause)}. ` +
      'Serve sql-wasm.wasm (shipped in rx-sync-worker/dist/lib/store/) at that URL, or set the `wasmUrl` option to where it is served.',
    { cause },
  );
}
