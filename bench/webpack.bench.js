// webpack build of the bench page (bench/page/) into bench/dist/ (git-ignored), from the shared
// makeConfig(): production mode (what an app ships), TypeScript transpiled only (tsc checks types).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeConfig } from '../webpack.config.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The bench page's webpack configuration. */
export function benchConfig() {
  const base = makeConfig({ mode: 'production', transpileOnly: true });
  return {
    ...base,
    entry: { main: path.join(here, 'page', 'main.ts') },
    output: { path: path.join(here, 'dist'), publicPath: 'auto', clean: true, filename: '[name].js' },
    optimization: { minimize: false },
    // Rebuilds (bench:smoke after a small change) only recompile what changed.
    cache: { type: 'filesystem', cacheDirectory: path.join(here, '..', 'node_modules', '.cache', 'rsw-bench-webpack') },
  };
}

export default benchConfig();
