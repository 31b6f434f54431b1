#!/usr/bin/env node
/**
 * `rx-sync-server` — run the reference sync server.
 *
 *   rx-sync-server --schema ./schema.json [--versions ./versions.json] [--port 8787] [--host 127.0.0.1] [--db ./sync.sqlite]
 *
 * Prints ONE start-up line on stdout (URL, db path, auth on/off), logs to stderr, and stops
 * gracefully (closes clients, checkpoints the database) on SIGINT/SIGTERM with exit code 0.
 * The auth secret comes from the environment (RSW_AUTH_SECRET), never from the command line,
 * where `ps` would show it.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startSyncServer, type LogLevel } from './index.js';

const HELP = `Usage: rx-sync-server --schema <file.json> [options]

Runs the rx-sync-worker reference sync server (WebSocket, SQLite change log).

Options:
  --schema <file>      JSON schema declaration, e.g. {"todos":{"primaryKey":"id","columns":{"id":"TEXT"}}} (required)
  --versions <file>    app schema versions: {"schemaVersion":2,"migrations":[...],"minSchemaVersion":1}
                       (the same list the app declares; minSchemaVersion optional)   [default: version 1]
  --port <n>           TCP port (0 = any free port)               [default: 8787]
  --host <addr>        interface to listen on                      [default: 127.0.0.1]
  --db <path>          SQLite file, or :memory:                    [default: ./sync.sqlite]
  --page-size <n>      largest catch-up page                       [default: 1000]
  --log-level <level>  debug | info | warn | error | silent        [default: info]
  -h, --help           show this help

Environment:
  RSW_AUTH_SECRET      HMAC secret (>= 16 characters). Set: clients need a signed token.
                       Unset: the server is OPEN (anyone may connect and write).

Stops gracefully on SIGINT / SIGTERM (exit code 0).
`;

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** Parse argv, start the server, print the start line, wait for a signal. Returns the exit code. */
async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        schema: { type: 'string' },
        versions: { type: 'string' },
        port: { type: 'string', default: '8787' },
        host: { type: 'string', default: '127.0.0.1' },
        db: { type: 'string', default: './sync.sqlite' },
        'page-size': { type: 'string', default: '1000' },
        'log-level': { type: 'string', default: 'info' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    return usageError((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.schema) return usageError('--schema is required');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return usageError(`--port must be 0-65535, got "${values.port}"`);
  const pageSize = Number(values['page-size']);
  if (!Number.isInteger(pageSize) || pageSize < 1) return usageError(`--page-size must be a positive integer, got "${values['page-size']}"`);
  const level = values['log-level'] as LogLevel;
  if (!LEVELS.includes(level)) return usageError(`--log-level must be one of ${LEVELS.join(', ')}`);

  let schema: unknown;
  try {
    schema = JSON.parse(readFileSync(values.schema, 'utf8'));
  } catch (e) {
    return usageError(`cannot read schema ${values.schema}: ${(e as Error).message}`);
  }
  let versions: { schemaVersion?: number; migrations?: unknown; minSchemaVersion?: number } = {};
  if (values.versions) {
    try {
      versions = JSON.parse(readFileSync(values.versions, 'utf8')) as typeof versions;
    } catch (e) {
      return usageError(`cannot read versions ${values.versions}: ${(e as Error).message}`);
    }
    const unknown = Object.keys(versions).filter((k) => !['schemaVersion', 'migrations', 'minSchemaVersion'].includes(k));
    if (unknown.length > 0) return usageError(`${values.versions}: unexpected field "${unknown[0]}"`);
  }
  const secret = process.env['RSW_AUTH_SECRET'] || undefined;
  // Listen for the stop signals BEFORE the start line: whoever reads it may signal at once.
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const server = await startSyncServer({
    host: values.host,
    port,
    db: values.db,
    schema,
    ...(versions.schemaVersion !== undefined && { schemaVersion: versions.schemaVersion }),
    ...(versions.migrations !== undefined && { migrations: versions.migrations }),
    ...(versions.minSchemaVersion !== undefined && { minSchemaVersion: versions.minSchemaVersion }),
    pageSize,
    logger: level,
    ...(secret ? { auth: { secret } } : {}),
  });
  process.stdout.write(
    `rx-sync-server listening on ${server.url} (db: ${values.db}, auth: ${server.authRequired ? 'on' : 'off - OPEN server'}, lsn: ${server.lsn()})\n`,
  );

  const signal = await stopSignal;
  // A second signal while stopping means "now".
  const force = () => process.exit(1);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  await server.close();
  process.stdout.write(`rx-sync-server stopped (${signal}, lsn: ${server.lsn()})\n`);
  return 0;
}

function usageError(message: string): number {
  process.stderr.write(`rx-sync-server: ${message}\nTry --help.\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`rx-sync-server: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
