/**
 * What `npm start` runs (through scripts/start.mjs), and what spec/demo starts: build the demo page
 * if needed, start the reference sync server on an SQLite file, serve the page on 127.0.0.1.
 *
 * ```ts
 * const demo = await startDemo({ port: 0, dataFile: './demo-data/x.sqlite' });
 * demo.url;            // http://127.0.0.1:PORT/
 * await demo.close();  // closes the page server, then the sync server (and its database)
 * ```
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSyncServer, type LogLevel, type SyncServer } from '../../server/index.js';
import { DEMO_SCHEMA, type DemoConfig } from '../schema.js';
import { buildDemo, isUpToDate, type BuildMode } from './build.js';
import { staticHandler } from './static.js';

/** The repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Options of {@link startDemo}; all optional. */
export interface DemoOptions {
  /** Interface for both servers. Default `127.0.0.1`. */
  host?: string;
  /** Port of the page (0 = any free one). Default 8080. */
  port?: number;
  /** Port of the sync server (0 = any free one; the page learns it from /config.json). Default 0. */
  syncPort?: number;
  /** The sync server's SQLite file (its folder is created). Default `./demo-data/sync.sqlite`. */
  dataFile?: string;
  /** Where the page is built and served from. Default `demo/dist`. */
  outDir?: string;
  /** webpack mode. Default `production`. */
  mode?: BuildMode;
  /** `auto` (default): build when a source is newer than the output; `always`; `never`. */
  build?: 'auto' | 'always' | 'never';
  /** Sync server log level (stderr). Default `warn`. */
  logLevel?: LogLevel;
  /** Progress lines ("building..."). Default: none. */
  log?: (line: string) => void;
}

/** A running demo. */
export interface Demo {
  /** `http://host:port/` of the page. */
  readonly url: string;
  /** `ws://...` of the sync server. */
  readonly syncUrl: string;
  /** Absolute path of the SQLite data file. */
  readonly dataFile: string;
  /** Whether this start ran webpack (false: the output was up to date). */
  readonly built: boolean;
  /** The sync server (LSN, client count). */
  readonly sync: SyncServer;
  /** Stop serving the page, then close the sync server and its database. Idempotent. */
  close(): Promise<void>;
}

/** Build (if needed), start the sync server, serve the page. Resolves once both listen. */
export async function startDemo(opts: DemoOptions = {}): Promise<Demo> {
  const host = opts.host ?? '127.0.0.1';
  const outDir = path.resolve(opts.outDir ?? path.join(REPO_ROOT, 'demo', 'dist'));
  const dataFile = path.resolve(opts.dataFile ?? path.join('demo-data', 'sync.sqlite'));
  const mode = opts.mode ?? 'production';
  const log = opts.log ?? (() => undefined);

  const when = opts.build ?? 'auto';
  const build = when === 'always' || (when === 'auto' && !isUpToDate({ root: REPO_ROOT, outDir, mode }));
  if (build) {
    log(`building the demo page (webpack, ${mode}) into ${path.relative(process.cwd(), outDir) || '.'} ...`);
    const t0 = performance.now();
    await buildDemo({ root: REPO_ROOT, outDir, mode });
    log(`built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  mkdirSync(path.dirname(dataFile), { recursive: true });
  const sync = await startSyncServer({ host, port: opts.syncPort ?? 0, db: dataFile, schema: DEMO_SCHEMA, logger: opts.logLevel ?? 'warn' });
  const config: DemoConfig = { syncUrl: sync.url, serverId: sync.serverId };
  const http = createServer(staticHandler(outDir, config));
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(opts.port ?? 8080, host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    // The page port is taken (for example): do not leave the database open.
    await sync.close();
    throw e;
  }
  const { port } = http.address() as AddressInfo;

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await sync.close();
    })();
    return closing;
  };
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`, syncUrl: sync.url, dataFile, built: build, sync, close };
}
