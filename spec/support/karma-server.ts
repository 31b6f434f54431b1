/**
 * Started by karma.conf.js: the REAL reference sync server on 127.0.0.1 (port 0) with the test
 * schema, on a SQLite file or, in the PostgreSQL pass of `npm test` (RSW_SERVER_BACKEND=postgres),
 * on a fresh schema of the run's PostgreSQL database (dropped with that database), plus a tiny
 * control endpoint so browser specs can restart it mid-stream.
 * Browser specs read the URLs from `__karma__.config.args` (see spec/support/browser-env.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSyncServer } from '../../server/index.js';
import { freshPgUrl, serversOnPostgres } from './pg.js';
import { TEST_SCHEMA } from './schema.js';
import { TEST_MIGRATIONS_V2, TEST_SCHEMA_V2 } from './schema-v2.js';

type SyncServer = Awaited<ReturnType<typeof startSyncServer>>;

/** Start the sync server and its control endpoint; returns the URLs and a close(). */
export async function startKarmaSyncServer(): Promise<{ url: string; controlUrl: string; close(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsw-karma-'));
  // A restart reopens the same database: the same file, or the same PostgreSQL schema.
  const db = serversOnPostgres() ? freshPgUrl() : path.join(dir, 'sync.sqlite');
  let port = 0;
  const extra: SyncServer[] = [];
  let server: SyncServer = await startSyncServer({ host: '127.0.0.1', port, db, schema: TEST_SCHEMA, logger: 'error' });
  port = server.port;
  // POST /restart: close the server and start it again on the same port and the same file.
  const control: Server = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.url === '/restart' && req.method === 'POST') {
      void (async () => {
        await server.close();
        server = await startSyncServer({ host: '127.0.0.1', port, db, schema: TEST_SCHEMA, logger: 'error' });
        res.end(JSON.stringify({ lsn: server.lsn() }));
      })().catch((e: Error) => {
        res.statusCode = 500;
        res.end(e.message);
      });
      return;
    }
    // POST /v2: a fresh server at schema version 2 (mixed-version specs); answers its URL. It stays
    // on SQLite in both passes: the PostgreSQL backend does not run `addColumn` steps (docs/DESIGN.md).
    if (req.url === '/v2' && req.method === 'POST') {
      void startSyncServer({ host: '127.0.0.1', port: 0, db: ':memory:', schema: TEST_SCHEMA_V2, schemaVersion: 2, migrations: TEST_MIGRATIONS_V2, logger: 'error' })
        .then((v2) => {
          extra.push(v2);
          res.end(JSON.stringify({ url: v2.url }));
        })
        .catch((e: Error) => {
          res.statusCode = 500;
          res.end(e.message);
        });
      return;
    }
    if (req.url === '/lsn') {
      res.end(JSON.stringify({ lsn: server.lsn() }));
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
  return {
    url: server.url,
    controlUrl,
    async close() {
      await server.close();
      await Promise.all(extra.map((s) => s.close()));
      await new Promise<void>((resolve) => control.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
