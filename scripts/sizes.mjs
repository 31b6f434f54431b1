#!/usr/bin/env node
// Gzip sizes of what an app ships, built with this project's own webpack config (production) from
// the SOURCE of a tree: the main-thread client (initial chunk), the worker JS (worker chunk and the
// chunks it loads) and the wasm. Default: this tree. `--root DIR` measures another checkout;
// `--before REF` measures `git archive REF` first and then this tree, in the same run.
// The consumer specs (spec/consumers/, spec/angular/) print the same parts for apps built from the
// npm pack tarball by webpack 5, Vite 7 and the Angular CLI.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import webpack from 'webpack';

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
import { execSync } from 'node:child_process';
const b = process.argv.indexOf('--before');
if (b > 0) {
  // Measure REF's tree first (its own webpack config and sources, this tree's node_modules).
  const before = fs.mkdtempSync(path.join(os.tmpdir(), 'rsw-sizes-before-'));
  execSync(`git archive ${process.argv[b + 1]} | tar -x -C ${JSON.stringify(before)}`, { cwd: here, shell: '/bin/bash' });
  fs.symlinkSync(path.join(here, 'node_modules'), path.join(before, 'node_modules'));
  execSync(`${JSON.stringify(process.execPath)} ${JSON.stringify(fileURLToPath(import.meta.url))} --root ${JSON.stringify(before)} --label ${JSON.stringify(`before (${process.argv[b + 1]})`)}`, { stdio: 'inherit' });
  fs.rmSync(before, { recursive: true, force: true });
}
const i = process.argv.indexOf('--root');
const root = path.resolve(i > 0 ? process.argv[i + 1] : here);
const l = process.argv.indexOf('--label');
const label = l > 0 ? process.argv[l + 1] : b > 0 ? 'after (this tree)' : 'this tree';
const { makeConfig } = await import(pathToFileURL(path.join(root, 'webpack.config.js')).href);
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rsw-sizes-'));
const entry = path.join(out, 'entry.js');
fs.writeFileSync(entry, `import { createSyncClient } from ${JSON.stringify(path.join(root, 'lib/index.js'))};\n` +
  `const c = createSyncClient({ url: 'ws://127.0.0.1:1', schema: { t: { primaryKey: 'id', columns: { id: 'TEXT' } } } });\n` +
  `c.status$.subscribe((s) => console.log(s.connection));\n`);
const base = makeConfig({ mode: 'production', transpileOnly: true });
const config = { ...base, context: root, entry: { main: entry }, output: { path: path.join(out, 'dist'), publicPath: 'auto', filename: '[name].js' } };
config.module.rules[0].exclude = /node_modules/;
config.resolve = { ...config.resolve, modules: [path.join(root, 'node_modules'), 'node_modules'] };
const stats = await new Promise((resolve, reject) => webpack(config, (err, s) => (err ? reject(err) : resolve(s))));
if (stats.hasErrors()) throw new Error(stats.toString('errors-only'));
const json = stats.toJson({ all: false, chunks: true, chunkRelations: true, ids: true });
const byId = new Map(json.chunks.map((c) => [c.id, c]));
/** A chunk, the chunks loaded with it (siblings) and every chunk they load: what runs once the worker has started. */
const closure = (c, seen = new Set()) => {
  if (seen.has(c.id)) return seen;
  seen.add(c.id);
  for (const id of [...(c.siblings ?? []), ...(c.children ?? [])]) closure(byId.get(id), seen);
  return seen;
};
const files = (ids) => [...ids].flatMap((id) => byId.get(id).files).filter((f) => f.endsWith('.js'));
if (process.env.RSW_DEBUG) console.log(JSON.stringify(json.chunks.map((c) => ({ id: c.id, names: c.names, files: c.files, initial: c.initial, entry: c.entry, children: c.children, siblings: c.siblings, parents: c.parents }))));
const workerChunk = json.chunks.find((c) => c.names.includes('rx-sync-worker'));
const mainChunks = json.chunks.filter((c) => c.initial && c.names.includes('main')).map((c) => c.id);
const dist = path.join(out, 'dist');
console.log(JSON.stringify(gzipSizes(dist, `webpack, project config, ${label}`, files(mainChunks), files(closure(workerChunk)), ['sql-wasm.wasm'])));
if (!process.env.RSW_KEEP) fs.rmSync(out, { recursive: true, force: true }); else console.log(out);

/** Sizes (gzip -9 and raw, KB) of the main-thread client, the worker JS and the wasm files of a bundle folder. */
export function gzipSizes(dir, label, clientFiles, workerFiles, wasmFiles) {
  const kb = (n) => Math.round(n / 102.4) / 10;
  const sum = (list, zip) => list.reduce((n, f) => { const b = fs.readFileSync(path.join(dir, f)); return n + (zip ? zlib.gzipSync(b, { level: 9 }).length : b.length); }, 0);
  const part = (list) => ({ gzipKB: kb(sum(list, true)), rawKB: kb(sum(list, false)), files: list.length });
  return { bundler: label, client: part(clientFiles), worker: part(workerFiles), wasm: part(wasmFiles) };
}
