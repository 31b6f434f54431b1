// webpack 5 configuration shared by Karma (spec bundles), the demo page and the browser benchmarks.
// `makeConfig()` returns the common part (TypeScript via ts-loader, `.js` -> `.ts` import mapping,
// sql.js wasm as an asset, the browser variant of lib/store/wasm-url.ts). The default export builds
// the demo page into demo/dist/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import webpack from 'webpack';

const root = path.dirname(fileURLToPath(import.meta.url));

/** Compilation errors seen by any compiler made from this config (read by karma.conf.js). */
export const compileErrors = [];

/** Remember compile errors: karma-webpack 5 only prints them, and Karma would still exit 0. */
class RecordErrorsPlugin {
  apply(compiler) {
    compiler.hooks.done.tap('RecordErrorsPlugin', (stats) => {
      if (stats.hasErrors()) {
        for (const e of stats.toJson({ all: false, errors: true }).errors ?? []) compileErrors.push(e.message ?? String(e));
      }
    });
  }
}

/**
 * The common webpack configuration.
 * @param {{ mode?: 'development' | 'production', transpileOnly?: boolean }} [opts]
 */
export function makeConfig(opts = {}) {
  return {
    mode: opts.mode ?? 'development',
    devtool: opts.mode === 'production' ? false : 'inline-source-map',
    target: 'web',
    resolve: {
      extensions: ['.ts', '.js'],
      extensionAlias: { '.js': ['.ts', '.js'] },
      fallback: { fs: false, path: false, crypto: false },
      // The package ships sql.js's wasm as lib/store/sql-wasm.wasm (copied at build); the source
      // tree has no copy, so point that path at sql.js's own file.
      alias: { [path.join(root, 'lib', 'store', 'sql-wasm.wasm')]: path.join(root, 'node_modules', 'sql.js', 'dist', 'sql-wasm.wasm') },
    },
    module: {
      rules: [
        {
          test: /\.ts$/,
          exclude: /node_modules/,
          use: {
            loader: 'ts-loader',
            options: {
              // Types are checked once for the whole project by `tsc --noEmit` (scripts/test.mjs).
              transpileOnly: opts.transpileOnly ?? true,
              compilerOptions: { declaration: false, sourceMap: true },
            },
          },
        },
        // `new URL('./sql-wasm.wasm', import.meta.url)` is an asset already; keep its name in the output.
        { test: /\.wasm$/, type: 'asset/resource', generator: { filename: '[name][ext]' } },
      ],
    },
    plugins: [
      // Platform files have a `.browser` twin (also mapped by package.json `browser`): the wasm
      // URL of sql.js (Node finds it on disk) and the platform runtime (Node: `ws` + files).
      new webpack.NormalModuleReplacementPlugin(/[\\/](wasm-url|platform[\\/]runtime)\.js$/, (res) => {
        res.request = res.request.replace(/\.js$/, '.browser.js');
      }),
      new RecordErrorsPlugin(),
    ],
    performance: { hints: false },
    stats: 'errors-warnings',
  };
}

/** Copy demo/public/* (index.html, style.css) next to the bundle, so the output is the whole site. */
class DemoPublicPlugin {
  apply(compiler) {
    const dir = path.join(root, 'demo', 'public');
    compiler.hooks.thisCompilation.tap('DemoPublicPlugin', (compilation) => {
      compilation.hooks.processAssets.tap({ name: 'DemoPublicPlugin', stage: webpack.Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL }, () => {
        for (const name of fs.readdirSync(dir)) {
          compilation.fileDependencies.add(path.join(dir, name));
          compilation.emitAsset(name, new webpack.sources.RawSource(fs.readFileSync(path.join(dir, name))));
        }
      });
    });
  }
}

/**
 * `webpack` on its own builds the demo page (see demo/) into demo/dist/: demo.js, the worker chunk,
 * sql-wasm.wasm, index.html and style.css. demo/server.ts builds it the same way (it may override
 * `mode`, `devtool` and `output.path`). Types are checked by `tsc --noEmit`, not here.
 */
const demoBase = makeConfig({ mode: 'production', transpileOnly: true });
export default {
  ...demoBase,
  entry: { demo: path.join(root, 'demo', 'main.ts') },
  output: { path: path.join(root, 'demo', 'dist'), publicPath: 'auto', clean: true, filename: '[name].js' },
  plugins: [...demoBase.plugins, new DemoPublicPlugin()],
};
