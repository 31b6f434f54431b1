/**
 * The CLI as a real process: --help, bad arguments, and a start (one line with URL, db path and
 * auth on/off) followed by a graceful stop on SIGTERM / SIGINT with exit code 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMA, TestClient, tempDir, todo } from './helpers.js';
import { freshPgUrl } from '../support/pg.js';

const CLI = ['--import', 'tsx', 'server/cli.ts'];

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(process.execPath, [...CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Resolve with the first stdout line (bounded by the spec timeout). */
function firstLine(r: Run): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const nl = r.stdout().indexOf('\n');
      if (nl >= 0) resolve(r.stdout().slice(0, nl));
    };
    r.child.stdout!.on('data', check);
    r.exited.then((code) => reject(new Error(`exited ${code} before its start line: ${r.stderr()}`)));
  });
}

describe('server CLI', () => {
  let tmp: ReturnType<typeof tempDir>;
  let schemaFile: string;
  beforeEach(() => {
    tmp = tempDir();
    schemaFile = join(tmp.dir, 'schema.json');
    writeFileSync(schemaFile, JSON.stringify(SCHEMA));
  });
  afterEach(() => tmp.cleanup());

  it('prints --help and exits 0; bad arguments exit 2 with a message', async () => {
    const help = run(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.stdout()).toContain('Usage: rx-sync-server');
    for (const flag of ['--schema', '--port', '--host', '--db', 'RSW_AUTH_SECRET', 'token --sub', '--jwks-url', '--public-key', '--allowed-origin']) expect(help.stdout()).toContain(flag);
    // Every limit is a flag with its default.
    for (const flag of ['--max-change-bytes', '--page-max-bytes', '--hello-timeout-ms', '--heartbeat-ms', '--max-connections-per-ip', '--global-output-bytes']) {
      expect(help.stdout()).toMatch(new RegExp(`${flag} .*\\[default: \\d+\\]`));
    }
    const bad = run(['--port', 'x', '--schema', schemaFile]);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain('--port');
    const missing = run([]);
    expect(await missing.exited).toBe(2);
    expect(missing.stderr()).toContain('--schema is required');
  }, 20_000);

  it('starts with one clear line, serves, and stops gracefully on SIGTERM with exit 0', async () => {
    const db = join(tmp.dir, 'cli.sqlite');
    const r = run(['--port', '0', '--db', db, '--schema', schemaFile, '--log-level', 'warn']);
    const line = await firstLine(r);
    expect(line).toMatch(/^rx-sync-server listening on ws:\/\/127\.0\.0\.1:\d+\/sync \(db: .*cli\.sqlite, auth: off - OPEN server, access: none - everyone reads everything, lsn: 0\)$/);
    const url = /(ws:\/\/\S+)/.exec(line)![1]!;
    const { c } = await TestClient.handshake(url, 'cli-client');
    expect((await c.commit([todo('1', 'a', 'x')])).acks[0]).toEqual({ change_id: '1', status: 'applied', lsn: 1 });
    r.child.kill('SIGTERM');
    expect((await c.closed).code).toBe(1001); // clients are told the server is going away
    expect(await r.exited).toBe(0);
    expect(r.stdout()).toContain('rx-sync-server stopped (SIGTERM, lsn: 1)');
  }, 20_000);

  it('on PostgreSQL, prints the database URL without its password', async () => {
    // Trust auth here: the password is not checked, only kept out of the start line and stdout.
    const u = new URL(freshPgUrl());
    u.username = u.username || 'postgres';
    u.password = 'hunter2-secret';
    const r = run(['--port', '0', '--db', u.toString(), '--schema', schemaFile, '--log-level', 'warn']);
    const line = await firstLine(r);
    expect(line).toContain(`(db: postgres://${u.username}:***@${u.host}`);
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    expect(r.stdout() + r.stderr()).not.toContain('hunter2-secret');
  }, 30_000);

  it('mints a test token with `token --sub` that a server with the same secret accepts', async () => {
    const secret = 'cli-secret-long-enough-1234';
    const mint = run(['token', '--sub', 'alice', '--ttl', '600'], { RSW_AUTH_SECRET: secret });
    expect(await mint.exited).toBe(0);
    const token = mint.stdout().trim();
    expect(token.split('.').length).toBe(3);
    const noSecret = run(['token', '--sub', 'alice'], { RSW_AUTH_SECRET: '' });
    expect(await noSecret.exited).toBe(2);
    const r = run(['--port', '0', '--db', ':memory:', '--schema', schemaFile, '--log-level', 'silent'], { RSW_AUTH_SECRET: secret });
    const url = /(ws:\/\/\S+)/.exec(await firstLine(r))![1]!;
    const { c, welcome } = await TestClient.handshake(url, 'alice-laptop', { token });
    expect(welcome.type).toBe('welcome');
    await c.close();
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
  }, 20_000);

  it('serves the app schema versions of --versions and refuses older ones with schema_outdated', async () => {
    const v2 = { ...SCHEMA, todos: { ...SCHEMA.todos, columns: { ...SCHEMA.todos.columns, priority: { type: 'INTEGER', notNull: true, default: 0 } } } };
    writeFileSync(schemaFile, JSON.stringify(v2));
    const versions = join(tmp.dir, 'versions.json');
    writeFileSync(versions, JSON.stringify({ schemaVersion: 2, minSchemaVersion: 2, migrations: [{ version: 2, steps: [{ op: 'addColumn', table: 'todos', column: 'priority' }] }] }));
    const r = run(['--port', '0', '--db', ':memory:', '--schema', schemaFile, '--versions', versions, '--log-level', 'silent']);
    const url = /(ws:\/\/\S+)/.exec(await firstLine(r))![1]!;
    const c = await TestClient.open(url);
    c.send({ type: 'hello', protocol: 1, client_id: 'old', last_lsn: 0, schema_version: 1 });
    expect(await c.next('error')).toEqual(jasmine.objectContaining({ code: 'schema_outdated' }));
    expect((await c.closed).code).toBe(4426);
    const { welcome } = await TestClient.handshake(url, 'new', { schema_version: 2 });
    expect(welcome.schema_version).toBe(2);
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
  }, 20_000);

  it('says auth is on when RSW_AUTH_SECRET is set, and stops on SIGINT', async () => {
    const r = run(['--port', '0', '--db', ':memory:', '--schema', schemaFile, '--log-level', 'silent'], { RSW_AUTH_SECRET: 'cli-secret-long-enough-1234' });
    expect(await firstLine(r)).toContain('auth: on');
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(0);
  }, 20_000);
});
