/**
 * Browser version of `wasm-url.ts` (webpack aliases one to the other). The wasm is loaded as an
 * `asset/resource`, so the import is the URL webpack emitted it under.
 */
import wasmUrl from 'sql.js/dist/sql-wasm.wasm';

/** The URL of sql.js's wasm binary in this bundle. */
export function sqlWasmUrl(): string | undefined {
  return wasmUrl;
}
