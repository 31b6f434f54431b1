/**
 * Build the demo page with webpack (the default export of webpack.config.js), and tell whether an
 * earlier build is still newer than every source it comes from. Node only.
 */
import { existsSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import webpack, { type Configuration } from 'webpack';

/** webpack mode of the demo build. */
export type BuildMode = 'development' | 'production';

/** Options of {@link buildDemo}. */
export interface BuildOptions {
  /** The repository root (holds webpack.config.js, lib/, demo/). */
  root: string;
  /** Output folder; it is emptied first. */
  outDir: string;
  /** `development` builds faster; `production` is smaller. */
  mode: BuildMode;
}

/** Written into the output after a build: which mode made it. */
const STAMP = '.demo-build.json';

/** Build into `outDir`; rejects with webpack's error messages. */
export async function buildDemo(opts: BuildOptions): Promise<void> {
  const started = new Date();
  const mod = (await import(pathToFileURL(path.join(opts.root, 'webpack.config.js')).href)) as { default: Configuration };
  const base = mod.default;
  const config: Configuration = {
    ...base,
    mode: opts.mode,
    // Source maps as separate files in development (the inline default would triple demo.js).
    devtool: opts.mode === 'development' ? 'source-map' : false,
    output: { ...base.output, path: opts.outDir },
    infrastructureLogging: { level: 'error' },
  };
  await new Promise<void>((resolve, reject) => {
    const compiler = webpack(config);
    compiler.run((err, stats) => {
      compiler.close(() => {
        if (err) reject(err);
        else if (!stats || stats.hasErrors()) reject(new Error(`webpack failed:\n${stats?.toString({ all: false, errors: true }) ?? ''}`));
        else resolve();
      });
    });
  });
  const stamp = path.join(opts.outDir, STAMP);
  writeFileSync(stamp, JSON.stringify({ mode: opts.mode }));
  // Dated at the START of the build: a source saved while webpack ran makes the next start rebuild.
  utimesSync(stamp, started, started);
}

/** Whether `outDir` holds a build of the same mode that is newer than every input (lib/, demo/, ...). */
export function isUpToDate(opts: BuildOptions): boolean {
  const stamp = path.join(opts.outDir, STAMP);
  if (!existsSync(stamp)) return false;
  try {
    if ((JSON.parse(readFileSync(stamp, 'utf8')) as { mode?: string }).mode !== opts.mode) return false;
  } catch {
    return false; // an unreadable stamp: build again
  }
  const inputs = ['lib', 'demo', 'webpack.config.js', 'package-lock.json'].map((p) => path.join(opts.root, p));
  const skip = new Set([path.resolve(opts.outDir), path.join(opts.root, 'demo', 'dist'), path.join(opts.root, 'demo', 'server')]);
  return newestMtime(inputs, skip) < statSync(stamp).mtimeMs;
}

/** Newest modification time (ms) among the given files and folders (recursively), skipping `skip`. */
function newestMtime(paths: string[], skip: Set<string>): number {
  let newest = 0;
  for (const p of paths) {
    if (skip.has(p) || !existsSync(p)) continue;
    const st = statSync(p);
    newest = Math.max(newest, st.mtimeMs);
    if (st.isDirectory()) newest = Math.max(newest, newestMtime(readdirSync(p).map((name) => path.join(p, name)), skip));
  }
  return newest;
}
