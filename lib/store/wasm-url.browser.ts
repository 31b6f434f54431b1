/**
 * Browser version of `wasm-url.ts` (package.json `browser` maps one to the other). The package ships
 * sql.js's wasm next to this module (`npm run build` copies it into dist/lib/store/), and this
 * `new URL(..., import.meta.url)` is the form webpack 5 and Vite recognise: they emit the file and
 * rewrite the URL with no configuration. Unbundled (or when a bundler leaves it alone) it resolves
 * next to this module at run time.
 */
export function sqlWasmUrl(): string | undefined {
  return new URL('./sql-wasm.wasm', import.meta.url).href;
}
