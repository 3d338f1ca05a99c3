import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.yaml': 'text/plain; charset=utf-8',
};

/** File names that configure the server and are never served (see header-rules.ts). */
const PRIVATE_NAMES = new Set(['_headers']);

/** Options of {@link serveStatic}. */
export interface StaticOptions {
  /**
   * Headers to add for a file, by its path relative to the root with forward slashes and a leading
   * `/`, e.g. `/chunks/xterm.Ab12Cd34.js`. They override the defaults (`cache-control: no-cache`).
   */
  headers?: (file: string) => Record<string, string> | undefined | Promise<Record<string, string> | undefined>;
}

/** A validator for a file version: size and modification time, so it changes whenever the file does. */
export function etagFor(size: number, mtimeMs: number): string {
  return `W/"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
}

/** True if an `If-None-Match` header names `etag` (weak comparison, as RFC 9110 asks for GET). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === bare;
  });
}

/**
 * Serves a file under `root` for a URL path; `index.html` for folders. Answers false when there
 * is no such file, so the caller can 404. Paths that escape `root` are never served. Every file
 * carries an ETag; a request whose `If-None-Match` matches it gets `304 Not Modified`.
 */
export async function serveStatic(req: IncomingMessage, res: ServerResponse, root: string, urlPath: string, options: StaticOptions = {}): Promise<boolean> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return false;
  }
  if (decoded.includes('\0')) return false;
  const base = path.resolve(root);
  let file = path.resolve(base, '.' + path.posix.normalize('/' + decoded));
  if (file !== base && !file.startsWith(base + path.sep)) return false;
  try {
    let info = await stat(file);
    if (info.isDirectory()) {
      file = path.join(file, 'index.html');
      info = await stat(file);
    }
    if (!info.isFile() || PRIVATE_NAMES.has(path.basename(file))) return false;
    const relative = '/' + path.relative(base, file).split(path.sep).join('/');
    const etag = etagFor(info.size, info.mtimeMs);
    const headers: Record<string, string | number> = {
      'cache-control': 'no-cache',
      etag,
      'x-content-type-options': 'nosniff',
      ...(await options.headers?.(relative)),
    };
    if (matchesEtag(req.headers['if-none-match'], etag)) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      ...headers,
    });
    if (req.method === 'HEAD') res.end();
    else
      createReadStream(file)
        .on('error', () => res.destroy())
        .pipe(res);
    return true;
  } catch {
    return false;
  }
}
