/** Build the bench page with webpack (bench/webpack.bench.js) into bench/dist/. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import webpack from 'webpack';

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Compile the page; resolves to the output folder, rejects with the compile errors. */
export async function buildBenchPage(): Promise<string> {
  const { benchConfig } = (await import(path.join(benchDir, 'webpack.bench.js'))) as { benchConfig: () => webpack.Configuration };
  const config = benchConfig();
  const compiler = webpack(config);
  const stats = await new Promise<webpack.Stats>((resolve, reject) => {
    compiler.run((err, s) => {
      // close() also writes the filesystem cache.
      compiler.close(() => (err || !s ? reject(err ?? new Error('webpack gave no stats')) : resolve(s)));
    });
  });
  if (stats.hasErrors()) {
    const errors = stats.toJson({ all: false, errors: true }).errors ?? [];
    throw new Error(`bench page build failed:\n${errors.map((e) => e.message).join('\n')}`);
  }
  const out = config.output!.path!;
  fs.writeFileSync(path.join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><title>rx-sync-worker bench</title><script src="main.js"></script>\n');
  return out;
}
