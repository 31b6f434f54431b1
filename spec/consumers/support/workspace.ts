/**
 * Consumer workspaces for the packaging specs: ONE shared npm install per lockfile (cached, keyed by
 * the lockfile's hash, so only the first run pays for it) and the package itself from `npm pack`,
 * unpacked each run into a folder of that run's own inside the install (`run-*`, its node_modules
 * holds only rx-sync-worker; everything else resolves from the shared install above it): a file
 * missing from package.json `files` is missing there too, and runs of several checkouts at once do
 * not overwrite each other's package.
 *
 * The cache lives OUTSIDE the repository (`~/.cache/rx-sync-worker/consumers`, or
 * $RSW_CONSUMER_CACHE): Node, TypeScript and the bundlers look for packages in every parent folder's
 * node_modules, so an install inside the repo would quietly see the repo's own devDependencies
 * (@types/sql.js, @angular/core, ...) and hide a missing dependency or type.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const CACHE = process.env['RSW_CONSUMER_CACHE'] ?? path.join(os.homedir(), '.cache', 'rx-sync-worker', 'consumers');

/** `npm ci` of a folder's package.json + package-lock.json into CACHE/NAME-HASH (reused while the lockfile is unchanged). */
export function cachedInstall(name: string, fromDir: string, npm: { node?: string } = {}): string {
  const lock = fs.readFileSync(path.join(fromDir, 'package-lock.json'));
  const hash = createHash('sha256').update(lock).update(fs.readFileSync(path.join(fromDir, 'package.json'))).digest('hex').slice(0, 16);
  const dir = path.join(CACHE, `${name}-${hash}`);
  const done = path.join(dir, 'node_modules', '.rsw-installed');
  if (fs.existsSync(done)) return dir;
  // A stale install of an older lockfile is removed; so is a half-finished one.
  for (const old of fs.existsSync(CACHE) ? fs.readdirSync(CACHE) : []) if (old.startsWith(`${name}-`)) fs.rmSync(path.join(CACHE, old), { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(fromDir, f), path.join(dir, f));
  const npmCli = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  const env = npm.node ? { ...process.env, PATH: `${path.dirname(npm.node)}:${process.env['PATH']}` } : process.env;
  execFileSync(npm.node ?? process.execPath, [fs.existsSync(npmCli) ? npmCli : 'npm', 'ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'pipe', env, timeout: 600_000 });
  fs.writeFileSync(done, new Date().toISOString());
  return dir;
}

let packed: string | null = null;

/** Build the package and `npm pack` it (once per process, into a temp folder of its own); the tarball's path. */
export function packTarball(): string {
  if (packed && fs.existsSync(packed)) return packed;
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'pipe' });
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rsw-pack-'));
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
  packed = path.join(out, name);
  return packed;
}

/**
 * Unpack the tarball as node_modules/rx-sync-worker (what `npm install <tgz>` puts there) of a new
 * run folder inside the install; returns that folder: put the apps in it, remove it with {@link removeRun}.
 */
export function installTarball(installDir: string, tarball: string): string {
  const run = fs.mkdtempSync(path.join(installDir, 'run-'));
  // An app folder has its package.json next to the node_modules that holds the library (Vite puts
  // its dependency cache beside the nearest package.json, and the library finds its worker from there).
  fs.writeFileSync(path.join(run, 'package.json'), JSON.stringify({ name: 'rsw-consumer-run', private: true, type: 'module', dependencies: { 'rx-sync-worker': '*' } }, null, 2));
  const dest = path.join(run, 'node_modules', 'rx-sync-worker');
  fs.mkdirSync(dest, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', dest, '--strip-components=1']);
  return run;
}

/** Remove a run folder of {@link installTarball}. */
export function removeRun(run: string | undefined): void {
  if (run) fs.rmSync(run, { recursive: true, force: true });
}

/** Copy a fixture's files (not its node_modules or output) into the install folder, under `name`. */
export function copyFixture(fixtureDir: string, installDir: string, name: string): string {
  const dest = path.join(installDir, name);
  fs.rmSync(dest, { recursive: true, force: true });
  fs.cpSync(fixtureDir, dest, { recursive: true, filter: (src) => !/[\\/](node_modules|dist|\.angular)([\\/]|$)/.test(src) });
  return dest;
}

/** A dev server's console text without its colour codes. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex -- the escape character is what is being removed
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}
