/**
 * Where sql.js finds its wasm binary. This is the Node version: `undefined`, because sql.js
 * locates `sql-wasm.wasm` next to itself in node_modules. Browser builds alias this module to
 * `wasm-url.browser.ts`, which imports the wasm as a webpack asset and returns its URL.
 */
export function sqlWasmUrl(): string | undefined {
  return undefined;
}
