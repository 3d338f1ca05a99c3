import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { widgetFileHeaders } from './cdn-headers.js';
import { HeaderRules, parseHeaderRules } from './header-rules.js';
import { matchesEtag, serveStatic } from './static-files.js';

let root: string;
let server: http.Server;
let base: string;

before(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'ix-static-'));
  writeFileSync(path.join(root, 'page.html'), '<p>hi</p>');
  writeFileSync(path.join(root, 'app.Ab12_-Cd.js'), 'export {};');
  writeFileSync(path.join(root, '_headers'), "/page.html\n  Content-Security-Policy: default-src 'none'\n");
  const rules = new HeaderRules(root);
  server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    const cdn = pathname.startsWith('/cdn/');
    const served = cdn
      ? serveStatic(req, res, root, pathname.slice(4), { headers: widgetFileHeaders })
      : serveStatic(req, res, root, pathname, { headers: () => rules.headersFor(pathname) });
    void served.then((ok) => {
      if (!ok) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

describe('static files', () => {
  test('a repeated request with the ETag gets 304 and no body; a changed file gets 200 again', async () => {
    const first = await fetch(`${base}/page.html`);
    assert.equal(first.status, 200);
    assert.equal(await first.text(), '<p>hi</p>');
    const etag = first.headers.get('etag')!;
    const again = await fetch(`${base}/page.html`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');
    assert.equal(again.headers.get('etag'), etag);

    writeFileSync(path.join(root, 'page.html'), '<p>changed</p>');
    utimesSync(path.join(root, 'page.html'), new Date(), new Date(Date.now() + 5000));
    const changed = await fetch(`${base}/page.html`, { headers: { 'if-none-match': etag } });
    assert.equal(changed.status, 200);
    assert.equal(await changed.text(), '<p>changed</p>');
  });

  test('HEAD answers the headers without a body', async () => {
    const res = await fetch(`${base}/page.html`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.ok(res.headers.get('etag'));
    assert.equal(await res.text(), '');
  });

  test('a page gets the headers its _headers rule names, and _headers itself is never served', async () => {
    const res = await fetch(`${base}/page.html`);
    assert.equal(res.headers.get('content-security-policy'), "default-src 'none'");
    assert.equal((await fetch(`${base}/_headers`)).status, 404);
    assert.equal((await fetch(`${base}/app.Ab12_-Cd.js`)).headers.get('content-security-policy'), null);
  });

  test('CDN files answer any origin; hashed names are cached for a year, others revalidated', async () => {
    const hashed = await fetch(`${base}/cdn/app.Ab12_-Cd.js`);
    assert.equal(hashed.headers.get('access-control-allow-origin'), '*');
    assert.equal(hashed.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const plain = await fetch(`${base}/cdn/page.html`);
    assert.equal(plain.headers.get('access-control-allow-origin'), '*');
    assert.equal(plain.headers.get('cache-control'), 'no-cache');
  });

  test('If-None-Match compares weakly and understands lists and *', () => {
    assert.equal(matchesEtag('W/"a-1"', 'W/"a-1"'), true);
    assert.equal(matchesEtag('"x", "a-1"', 'W/"a-1"'), true);
    assert.equal(matchesEtag('*', 'W/"a-1"'), true);
    assert.equal(matchesEtag('W/"a-2"', 'W/"a-1"'), false);
    assert.equal(matchesEtag(undefined, 'W/"a-1"'), false);
  });
});

describe('_headers rules', () => {
  test('exact paths and path prefixes ending in * get their headers; later rules win', () => {
    const { rules, problems } = parseHeaderRules(
      ['# comment', '/docs/*', '  X-Frame-Options: DENY', '  Cache-Control: no-store', '/docs/a.html', '  X-Frame-Options: SAMEORIGIN', ''].join('\n'),
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(
      rules.map((r) => [r.path, r.prefix, r.headers]),
      [
        ['/docs/', true, { 'x-frame-options': 'DENY', 'cache-control': 'no-store' }],
        ['/docs/a.html', false, { 'x-frame-options': 'SAMEORIGIN' }],
      ],
    );
  });

  test('lines it does not understand are named with their line number', () => {
    const { problems } = parseHeaderRules('page.html\n  X: y\n/ok\n  not a header line\n');
    assert.equal(problems.length, 3);
    assert.match(problems[0]!, /^line 1: a rule starts with a URL path/);
    assert.match(problems[2]!, /^line 4: expected an indented "Name: value"/);
  });
});
