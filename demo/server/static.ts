/**
 * A small static file server (node:http) for the built demo page, plus `/config.json`, which tells
 * the page where the sync server is. GET and HEAD only; nothing outside the folder is served.
 */
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

/** Content types by extension; `.wasm` must be application/wasm for streaming compilation. */
export const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** A request handler serving `dir`, with `config` as `/config.json`. */
export function staticHandler(dir: string, config: object): (req: IncomingMessage, res: ServerResponse) => void {
  const root = path.resolve(dir);
  const configJson = JSON.stringify(config);
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const urlPath = decodeSafely(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (urlPath === '/config.json') {
      send(res, req, 200, MIME_TYPES['.json']!, configJson);
      return;
    }
    const file = urlPath === null ? null : path.resolve(root, `.${urlPath.endsWith('/') ? `${urlPath}index.html` : urlPath}`);
    // Only files inside the folder; a traversal attempt or a missing file is a plain 404.
    const size = file !== null && file.startsWith(root + path.sep) ? fileSize(file) : null;
    if (file === null || size === null) {
      send(res, req, 404, MIME_TYPES['.txt']!, 'not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': size,
      'cache-control': 'no-cache',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  };
}

function send(res: ServerResponse, req: IncomingMessage, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Size of a regular file, or null when there is none. */
function fileSize(file: string): number | null {
  try {
    const st = statSync(file);
    return st.isFile() ? st.size : null;
  } catch {
    return null;
  }
}

/** The decoded path, or null for a malformed escape or a NUL byte. */
function decodeSafely(p: string): string | null {
  try {
    const d = decodeURIComponent(p);
    return d.includes('\0') ? null : d;
  } catch {
    return null;
  }
}
