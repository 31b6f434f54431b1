/**
 * `rx-sync-server --access ./access.js` as a real process: the module's rules filter what each
 * token's user receives; a module without rules is a usage error (exit 2).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signToken } from '../../../server/index.js';
import { tempDir } from '../helpers.js';
import { NOTES_SCHEMA, SECRET, handshakeScoped } from './notes-app.js';

const ACCESS_JS = `export default {
  scopes: (user) => ['user:' + user.sub],
  rowScopes: { notes: (row) => ['user:' + row.owner] },
};
`;

function start(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], { env: { ...process.env, RSW_AUTH_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => out.includes('\n') && resolve(out.slice(0, out.indexOf('\n'))));
    void exited.then((code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  line.catch(() => undefined); // awaited by the specs that want the line
  return { child, exited, line, stderr: () => err };
}

describe('server CLI --access', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
    writeFileSync(join(tmp.dir, 'schema.json'), JSON.stringify(NOTES_SCHEMA));
    writeFileSync(join(tmp.dir, 'access.mjs'), ACCESS_JS);
    writeFileSync(join(tmp.dir, 'empty.mjs'), 'export const nothing = 1;\n');
  });
  afterEach(() => tmp.cleanup());

  it('loads the rules module: each user receives only its own notes', async () => {
    const r = start(['--port', '0', '--db', ':memory:', '--schema', join(tmp.dir, 'schema.json'), '--access', join(tmp.dir, 'access.mjs'), '--log-level', 'warn']);
    const line = await r.line;
    expect(line).toContain(`access: ${join(tmp.dir, 'access.mjs')}`);
    const url = /(ws:\/\/\S+)/.exec(line)![1]!;
    const tok = (sub: string) => signToken(SECRET, { sub, exp: Math.floor(Date.now() / 1000) + 600 });
    const { c: alice } = await handshakeScoped(url, 'alice-1', { token: tok('alice') });
    const { c: bob } = await handshakeScoped(url, 'bob-1', { token: tok('bob') });
    await alice.commit([{ change_id: 'a1', entity: 'notes', entity_id: 'n1', op: 'insert', data: { id: 'n1', owner: 'alice', text: 'hers' } }]);
    const ack = await bob.commit([{ change_id: 'b1', entity: 'notes', entity_id: 'n2', op: 'insert', data: { id: 'n2', owner: 'bob', text: 'his' } }]);
    expect(ack.acks[0]!.status).toBe('applied');
    const bobRows = bob.received.flatMap((f) => (f.type === 'server_changes' ? f.changes.map((c) => c.entity_id) : []));
    expect(bobRows).toEqual(['n2']);
    r.child.kill('SIGTERM');
    await Promise.all([alice.closed, bob.closed]);
    expect(await r.exited).toBe(0);
  }, 20_000);

  it('a module that exports no rules: exit 2 with the reason', async () => {
    const r = start(['--port', '0', '--db', ':memory:', '--schema', join(tmp.dir, 'schema.json'), '--access', join(tmp.dir, 'empty.mjs')]);
    expect(await r.exited).toBe(2);
    expect(r.stderr()).toContain('exports no access rules');
  }, 20_000);
});
