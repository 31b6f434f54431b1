// Karma: browser specs (spec/**/*.spec.ts and *.browser.spec.ts) in Debian's headless Chromium.
// Started by scripts/test.mjs as `node --import tsx karma start`, so the real sync server (TypeScript)
// can be started here, on 127.0.0.1 port 0; its URL reaches the specs through `client.args`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeConfig, compileErrors } from './webpack.config.js';

const root = path.dirname(fileURLToPath(import.meta.url));

/** Fail the run when webpack reported errors (karma-webpack alone would exit 0). */
function exitCodeFramework(emitter, config) {
  emitter.on('exit', (done) => {
    Promise.resolve(config.rswCleanup?.()).then(() => done(), () => done());
  });
  emitter.on('run_complete', (_browsers, results) => {
    if (compileErrors.length > 0) {
      console.error(`\n${compileErrors.length} webpack compilation error(s):\n${compileErrors.join('\n')}`);
      results.exitCode = 1;
    }
  });
}
exitCodeFramework.$inject = ['emitter', 'config'];

/** Write the run's counts to $RSW_RESULTS for the one summary line of scripts/test.mjs. */
function CountsReporter(baseReporterDecorator) {
  baseReporterDecorator(this);
  const counts = { passed: 0, failed: 0, skipped: 0 };
  this.onSpecComplete = (_browser, result) => {
    if (result.skipped || result.pending) counts.skipped++;
    else if (result.success) counts.passed++;
    else counts.failed++;
  };
  this.onRunComplete = (_browsers, results) => {
    if ((results.error || results.disconnected || compileErrors.length > 0) && counts.failed === 0) counts.failed++;
    if (process.env.RSW_RESULTS) fs.writeFileSync(process.env.RSW_RESULTS, JSON.stringify(counts));
  };
}
CountsReporter.$inject = ['baseReporterDecorator'];

export default async function (config) {
  const outDir = fs.mkdtempSync(path.join(root, '.karma-out-'));
  const args = [];
  let server = null;
  const serverEntry = path.join(root, 'spec', 'support', 'karma-server.ts');
  // RSW_NO_SYNC_SERVER: runs that need no server (the runner's own specs) skip starting it.
  if (fs.existsSync(serverEntry) && !process.env.RSW_NO_SYNC_SERVER) {
    const { startKarmaSyncServer } = await import(serverEntry);
    server = await startKarmaSyncServer();
    args.push(server.url, server.controlUrl);
  }
  const webpackConfig = makeConfig();
  const specPattern = process.env.RSW_SPEC || 'spec/**/*.spec.ts';
  config.set({
    basePath: root,
    frameworks: ['jasmine', 'webpack', 'rsw-exit-code'],
    plugins: [
      'karma-jasmine',
      'karma-webpack',
      'karma-chrome-launcher',
      { 'framework:rsw-exit-code': ['factory', exitCodeFramework] },
      { 'reporter:rsw-counts': ['type', CountsReporter] },
    ],
    files: [
      // RSW_SPEC narrows the run to some files (e.g. RSW_SPEC='spec/client/**/*.spec.ts').
      { pattern: specPattern, watched: false },
      { pattern: `${path.basename(outDir)}/**/*`, included: false, served: true, watched: false, nocache: true },
    ],
    exclude: ['spec/**/*.node.spec.ts'],
    preprocessors: { [specPattern]: ['webpack'] },
    webpack: { ...webpackConfig, output: { path: outDir, publicPath: 'auto' } },
    mime: { 'application/wasm': ['wasm'] },
    reporters: ['progress', 'rsw-counts'],
    hostname: '127.0.0.1',
    listenAddress: '127.0.0.1',
    port: 9876,
    browsers: ['ChromiumHeadlessCI'],
    customLaunchers: {
      ChromiumHeadlessCI: {
        base: 'ChromeHeadless',
        flags: [
          '--no-sandbox',
          '--remote-debugging-port=0',
          '--disable-gpu',
          '--disable-dev-shm-usage',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      },
    },
    client: { args, jasmine: { random: true, timeoutInterval: 20000 } },
    browserNoActivityTimeout: 120000,
    browserDisconnectTimeout: 30000,
    captureTimeout: 120000,
    singleRun: true,
    autoWatch: false,
  });
  config.set({ logLevel: config.LOG_WARN });
  process.once('exit', () => fs.rmSync(outDir, { recursive: true, force: true }));
  // Called on Karma's `exit` event (see exitCodeFramework): close what this config started.
  config.set({ rswCleanup: async () => { await server?.close(); fs.rmSync(outDir, { recursive: true, force: true }); } });
}
