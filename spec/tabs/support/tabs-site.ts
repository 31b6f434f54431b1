/**
 * The tabs page (spec/tabs/page/main.ts) built with the project's webpack config, served on
 * 127.0.0.1, with the real sync server on a SQLite file: what the multi-page spec and the tabs
 * bench run against. Built once per process (webpack's filesystem cache makes rebuilds cheap).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import webpack from 'webpack';
import { serveStatic, type StaticServer } from '../../../bench/driver/serve.js';
import { startSyncServer } from '../../../server/index.js';
import { TEST_SCHEMA } from '../../support/schema.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');

/** The page, the static server and the sync server. */
export interface TabsSite {
  /** The page's URL. */
  readonly pageUrl: string;
  /** The sync server's WebSocket URL. */
  readonly syncUrl: string;
  /** The sync server's SQLite file (read it to see what the server holds). */
  readonly dbFile: string;
  close(): Promise<void>;
}

async function build(out: string): Promise<void> {
  const { makeConfig } = (await import(path.join(root, 'webpack.config.js'))) as { makeConfig: (o: object) => webpack.Configuration };
  const base = makeConfig({ mode: 'development', transpileOnly: true });
  const config: webpack.Configuration = {
    ...base,
    devtool: false,
    entry: { main: path.join(here, '..', 'page', 'main.ts') },
    output: { path: out, publicPath: 'auto', filename: '[name].js' },
    cache: { type: 'filesystem', cacheDirectory: path.join(root, 'node_modules', '.cache', 'rsw-tabs-webpack') },
  } as webpack.Configuration;
  const stats = await new Promise<webpack.Stats>((resolve, reject) => {
    const compiler = webpack(config);
    compiler.run((err, s) => compiler.close(() => (err || !s ? reject(err ?? new Error('webpack gave no stats')) : resolve(s))));
  });
  if (stats.hasErrors()) throw new Error(`tabs page build failed:\n${(stats.toJson({ all: false, errors: true }).errors ?? []).map((e) => e.message).join('\n')}`);
  fs.writeFileSync(path.join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><title>rx-sync-worker tabs</title><script src="main.js"></script>\n');
}

/** Build and start everything. */
export async function startTabsSite(): Promise<TabsSite> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsw-tabs-'));
  const out = path.join(dir, 'site');
  await build(out);
  const dbFile = path.join(dir, 'sync.sqlite');
  const sync = await startSyncServer({ host: '127.0.0.1', port: 0, db: dbFile, schema: TEST_SCHEMA, logger: 'error' });
  const site: StaticServer = await serveStatic(out);
  return {
    pageUrl: site.url,
    syncUrl: sync.url,
    dbFile,
    close: async () => {
      await site.close();
      await sync.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
