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
// sql.js's browser build as an ES module (see lib/store/sql-js.browser.ts). Its code assigns
// `module = undefined` and checks `typeof exports` / `define`: a module-scoped `module` keeps that
// legal in strict mode and exports nothing by the CommonJS or AMD paths.
const sqljs = path.join(root, 'node_modules', 'sql.js');
const sqljsVersion = JSON.parse(fs.readFileSync(path.join(sqljs, 'package.json'), 'utf8')).version;
fs.writeFileSync(
  path.join(store, 'sql-js.browser.js'),
  `/* sql.js ${sqljsVersion} (MIT, https://github.com/sql-js/sql.js): dist/sql-wasm-browser.js as an ES module, written by scripts/build-assets.mjs */\n` +
    `var module;\n${fs.readFileSync(path.join(sqljs, 'dist', 'sql-wasm-browser.js'), 'utf8')}\nexport default initSqlJs;\n`,
);
fs.rmSync(path.join(store, 'sql-js.browser.js.map'), { force: true });
// The ng-add schematic (plain CommonJS and JSON: the Angular CLI loads it with require).
fs.cpSync(path.join(root, 'lib', 'angular', 'schematics'), path.join(root, 'dist', 'lib', 'angular', 'schematics'), { recursive: true });
