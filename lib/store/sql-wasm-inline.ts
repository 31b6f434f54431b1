/**
 * sql.js's wasm as base64, for `rx-sync-worker/worker-entry` when the app's bundler serves no wasm
 * next to the module. Empty in the source tree: `npm run build` (scripts/build-assets.mjs) writes the
 * real text into dist/lib/store/sql-wasm-inline.js.
 */
export const SQL_WASM_BASE64: string = '';
