#!/usr/bin/env node
// `npm start`: build the demo page if needed, start the reference sync server on an SQLite file
// (default ./demo-data/sync.sqlite) and serve the page on 127.0.0.1, printing its URL.
// Ctrl-C (SIGINT) or SIGTERM closes both servers (the database is closed cleanly) and exits 0.
//
//   node scripts/start.mjs [--port 8080] [--data ./demo-data/sync.sqlite] [--dev] [--out-dir demo/dist]
//
// The work is done by startDemo() in demo/server/index.ts (TypeScript, loaded through tsx), which
// spec/demo/demo.node.spec.ts also uses.
import { parseArgs } from 'node:util';
import { register } from 'tsx/esm/api';

const HELP = `Usage: npm start [-- options]

Builds and serves the rx-sync-worker demo: two clients syncing a todo list through the reference server.

Options:
  --port <n>         port of the demo page (0 = any free port)   [default: 8080, or $PORT]
  --sync-port <n>    port of the sync server (0 = any free port) [default: 0]
  --data <file>      the sync server's SQLite file               [default: ./demo-data/sync.sqlite]
  --out-dir <dir>    where the page is built                     [default: demo/dist]
  --dev              development build (faster, larger)
  --rebuild          build even when the page is up to date
  -h, --help         show this help
`;

/** Parse the arguments; null (after printing why) when they are wrong. */
function options(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: process.env.PORT || '8080' },
      'sync-port': { type: 'string', default: '0' },
      data: { type: 'string' },
      'out-dir': { type: 'string' },
      dev: { type: 'boolean', default: false },
      rebuild: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const port = (name) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be 0-65535, got "${values[name]}"`);
    return n;
  };
  return {
    help: values.help,
    demo: {
      port: port('port'),
      syncPort: port('sync-port'),
      mode: values.dev ? 'development' : 'production',
      build: values.rebuild ? 'always' : 'auto',
      ...(values.data !== undefined && { dataFile: values.data }),
      ...(values['out-dir'] !== undefined && { outDir: values['out-dir'] }),
    },
  };
}

async function main() {
  let opts;
  try {
    opts = options(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`start: ${e.message}\nTry --help.\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(HELP);
    return 0;
  }
  // Listen for the stop signals first: a signal during the build stops right after start-up.
  const stopped = new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  register();
  const { startDemo } = await import('../demo/server/index.ts');
  const say = (line) => process.stdout.write(`${line}\n`);
  let demo;
  try {
    demo = await startDemo({ ...opts.demo, log: say });
  } catch (e) {
    const hint = e.code === 'EADDRINUSE' ? ` (try: npm start -- --port ${opts.demo.port + 1})` : '';
    process.stderr.write(`start: ${e.message}${hint}\n`);
    return 1;
  }
  say(`sync server: ${demo.syncUrl} (data: ${demo.dataFile}, lsn ${demo.sync.lsn()})`);
  say(`demo page:   ${demo.url}`);
  say('open the page in a browser; press Ctrl-C to stop.');

  const signal = await stopped;
  // A second signal while stopping means "now".
  process.once('SIGINT', () => process.exit(1));
  process.once('SIGTERM', () => process.exit(1));
  await demo.close();
  say(`stopped (${signal}); data file closed at lsn ${demo.sync.lsn()}`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`start: ${e?.stack ?? e}\n`);
    process.exitCode = 1;
  },
);
