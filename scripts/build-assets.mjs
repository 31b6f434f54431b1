#!/usr/bin/env node
// Second half of `npm run build` (after tsc): put sql.js's wasm into the package, next to the
// module that locates it (dist/lib/store/sql-wasm.wasm, found with new URL(..., import.meta.url)),
// and its base64 copy for rx-sync-worker/worker-entry (dist/lib/store/sql-wasm-inline.js).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const wasm = fs.readFileSync(path.join(root, 'node_modules', 'sql.js', 'dist', 'sql-wasm.wasm'));
const store = path.join(root, 'dist', 'lib', 'store');
fs.mkdirSync(store, { recursive: true });
fs.writeFileSync(path.join(store, 'sql-wasm.wasm'), wasm);
fs.writeFileSync(
  path.join(store, 'sql-wasm-inline.js'),
  `/** sql.js's wasm (${wasm.length} bytes) as base64, written by scripts/build-assets.mjs. */\nexport const SQL_WASM_BASE64 = ${JSON.stringify(wasm.toString('base64'))};\n`,
);
// The inline module's source map describes the empty stub, not this file.
fs.rmSync(path.join(store, 'sql-wasm-inline.js.map'), { force: true });
