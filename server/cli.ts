#!/usr/bin/env node
/**
 * `rx-sync-server` — run the reference sync server.
 *
 *   rx-sync-server --schema ./schema.json [--versions ./versions.json] [--access ./access.js] [--port 8787] [--host 127.0.0.1] [--db ./sync.sqlite]
 *   rx-sync-server token --sub alice [--ttl 3600] [--aud x] [--iss y]   (prints an HS256 test token)
 *
 * Prints ONE start-up line on stdout (URL, db path, auth on/off), logs to stderr, and stops
 * gracefully (closes clients, checkpoints the database) on SIGINT/SIGTERM with exit code 0.
 * The auth secret comes from the environment (RSW_AUTH_SECRET), never from the command line,
 * where `ps` would show it; it is read once and removed from `process.env` (no later code, child
 * process or crash dump of the environment sees it).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { AuthOptions } from './auth.js';
import { loadAccessModule, signToken, startSyncServer, type AccessRules, type LogLevel } from './index.js';
import { DEFAULT_LIMITS, LIMIT_HELP, limitFlag, type Limits } from './limits.js';

const LIMIT_NAMES = Object.keys(DEFAULT_LIMITS) as (keyof Limits)[];
const LIMIT_LINES = LIMIT_NAMES.map((k) => `  --${limitFlag(k).padEnd(24)} ${LIMIT_HELP[k]} [default: ${DEFAULT_LIMITS[k]}]`).join('\n');

const HELP = () => `Usage: rx-sync-server --schema <file.json> [options]
       rx-sync-server token --sub <id> [--ttl <seconds>] [--aud <a>] [--iss <i>]
                            (prints an HS256 test token signed with RSW_AUTH_SECRET)

Runs the rx-sync-worker reference sync server (WebSocket, SQLite change log).

Options:
  --schema <file>      JSON schema declaration, e.g. {"todos":{"primaryKey":"id","columns":{"id":"TEXT"}}} (required)
  --versions <file>    app schema versions: {"schemaVersion":2,"migrations":[...],"minSchemaVersion":1}
                       (the same list the app declares; minSchemaVersion optional)   [default: version 1]
  --access <file>      access rules module: export default { scopes, rowScopes, permit? }
                       (who reads which rows, who may write them; server/README.md "Access rules")
                       [default: none - every client reads every row]
  --port <n>           TCP port (0 = any free port)               [default: 8787]
  --host <addr>        interface to listen on                      [default: 127.0.0.1]
  --db <path|url>      SQLite file, :memory:, or postgres://...     [default: ./sync.sqlite]
  --page-size <n>      largest catch-up page                       [default: 1000]
  --log-level <level>  debug | info | warn | error | silent        [default: info]
  --jwks-url <url>     verify RS256/ES256 tokens with the issuer's JWKS (instead of a secret)
  --public-key <file>  verify RS256/ES256 tokens with this PEM public key
  --jwt-alg <alg>      RS256 | ES256 (with --public-key)               [default: RS256]
  --audience <aud>     required "aud" claim
  --issuer <iss>       required "iss" claim
  --allowed-origin <o> a browser origin allowed to connect (repeatable; '*' = any)
                       [default: any with auth; open server: its own origin and loopback pages]
  -h, --help           show this help

Limits (what a client sees when it hits one: server/README.md):
${LIMIT_LINES}

Environment:
  RSW_AUTH_SECRET      HS256 secret (>= 16 characters). Set: clients need a signed token.
                       Read once, then removed from the environment. With none of it,
                       --jwks-url, --public-key: the server is OPEN (anyone may connect and write).

Stops gracefully on SIGINT / SIGTERM (exit code 0).
`;

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** Parse argv, start the server, print the start line, wait for a signal. Returns the exit code. */
async function main(argv: string[]): Promise<number> {
  const secret = takeSecret();
  if (argv[0] === 'token') return mintToken(argv.slice(1), secret);
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        schema: { type: 'string' },
        versions: { type: 'string' },
        access: { type: 'string' },
        port: { type: 'string', default: '8787' },
        host: { type: 'string', default: '127.0.0.1' },
        db: { type: 'string', default: './sync.sqlite' },
        'page-size': { type: 'string', default: '1000' },
        'log-level': { type: 'string', default: 'info' },
        'allowed-origin': { type: 'string', multiple: true },
        'jwks-url': { type: 'string' },
        'public-key': { type: 'string' },
        'jwt-alg': { type: 'string' },
        audience: { type: 'string' },
        issuer: { type: 'string' },
        ...Object.fromEntries(LIMIT_NAMES.map((k) => [limitFlag(k), { type: 'string' as const }])),
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    return usageError((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(HELP());
    return 0;
  }
  if (!values.schema) return usageError('--schema is required');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return usageError(`--port must be 0-65535, got "${values.port}"`);
  const pageSize = Number(values['page-size']);
  if (!Number.isInteger(pageSize) || pageSize < 1) return usageError(`--page-size must be a positive integer, got "${values['page-size']}"`);
  const limits: Partial<Limits> = {};
  for (const k of LIMIT_NAMES) {
    const raw = (values as Record<string, unknown>)[limitFlag(k)];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) return usageError(`--${limitFlag(k)} must be a non-negative number, got "${String(raw)}"`);
    limits[k] = n;
  }
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
  let access: AccessRules | undefined;
  if (values.access) {
    try {
      access = await loadAccessModule(values.access);
    } catch (e) {
      return usageError(`cannot load access rules ${values.access}: ${(e as Error).message}`);
    }
  }
  let auth: AuthOptions | undefined;
  try {
    auth = authOptions(values, secret);
  } catch (e) {
    return usageError((e as Error).message);
  }
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
    limits,
    ...(values['allowed-origin'] ? { allowedOrigins: values['allowed-origin'] } : {}),
    logger: level,
    ...(auth ? { auth } : {}),
    ...(access ? { access } : {}),
  });
  process.stdout.write(
    `rx-sync-server listening on ${server.url} (db: ${redactDbUrl(values.db)}, auth: ${server.authRequired ? 'on' : 'off - OPEN server'}, access: ${access ? values.access : 'none - everyone reads everything'}, lsn: ${server.lsn()})\n`,
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

/** Read RSW_AUTH_SECRET once and remove it from the environment. */
function takeSecret(): string | undefined {
  const secret = process.env['RSW_AUTH_SECRET'] || undefined;
  delete process.env['RSW_AUTH_SECRET'];
  return secret;
}

function authOptions(values: Record<string, unknown>, secret: string | undefined): AuthOptions | undefined {
  const jwksUrl = values['jwks-url'] as string | undefined;
  const keyFile = values['public-key'] as string | undefined;
  if ([secret, jwksUrl, keyFile].filter((x) => x !== undefined).length > 1) throw new Error('use one of RSW_AUTH_SECRET, --jwks-url, --public-key');
  const alg = values['jwt-alg'] as AuthOptions['algorithm'] | undefined;
  if (alg !== undefined && (alg as string) !== 'RS256' && (alg as string) !== 'ES256') throw new Error('--jwt-alg must be RS256 or ES256');
  const checks = {
    ...(values['audience'] !== undefined ? { audience: values['audience'] as string } : {}),
    ...(values['issuer'] !== undefined ? { issuer: values['issuer'] as string } : {}),
    ...(alg !== undefined ? { algorithm: alg } : {}),
  };
  if (secret !== undefined) return { secret, ...checks };
  if (jwksUrl !== undefined) return { jwksUrl, ...checks };
  if (keyFile !== undefined) return { publicKey: readFileSync(keyFile, 'utf8'), ...checks };
  return undefined;
}

/** `rx-sync-server token --sub alice [--ttl 3600] [--aud a] [--iss i]`: print a test token. */
function mintToken(argv: string[], secret: string | undefined): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { sub: { type: 'string' }, ttl: { type: 'string', default: '3600' }, aud: { type: 'string' }, iss: { type: 'string' } },
      strict: true,
    }));
  } catch (e) {
    return usageError((e as Error).message);
  }
  if (!secret) return usageError('token: RSW_AUTH_SECRET must be set (the secret the server uses)');
  if (!values.sub) return usageError('token: --sub is required');
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) return usageError(`token: --ttl must be a positive number of seconds, got "${values.ttl}"`);
  const claims = { ...(values.aud ? { aud: values.aud } : {}), ...(values.iss ? { iss: values.iss } : {}) };
  process.stdout.write(signToken(secret, { sub: values.sub, exp: Math.floor(Date.now() / 1000) + ttl, ...claims }) + '\n');
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

/** A database URL fit to print: its password (if any) replaced by `***`. A file path is printed as it is. */
export function redactDbUrl(db: string): string {
  if (!/^postgres(ql)?:\/\//i.test(db)) return db;
  try {
    const u = new URL(db);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
