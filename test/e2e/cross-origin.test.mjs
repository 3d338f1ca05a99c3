import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { freePort, launchBrowser, startPageServer, startServerProcess, typeCommand, waitForScreen } from '../harness.mjs';

// The README's first snippet, exactly as a blogger copies it, pointed at the server under test.
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const snippet = /```html\n([\s\S]*?)```/.exec(readme)[1];
const EXAMPLE_SERVER = 'https://play.example.com';

let server;
let blog;
let browser;

before(async () => {
  const blogPort = await freePort();
  server = await startServerProcess({ IX_ORIGINS: `http://127.0.0.1:${blogPort}` });
  const page = (body) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A blog</title></head><body><h1>My post</h1>${body}</body></html>`;
  const fallback = '<p id="fallback">A live terminal goes here. <a href="https://play.example.com/">Open it on its own page</a>.</p>';
  blog = await startPageServer(
    {
      '/post.html': page(snippet.replaceAll(EXAMPLE_SERVER, server.url)),
      // The snippet with fallback content inside the element, its script working or broken.
      '/fallback.html': page(snippet.replaceAll(EXAMPLE_SERVER, server.url).replace('</ix-playground>', `${fallback}</ix-playground>`)),
      '/broken.html': page(
        snippet
          .replaceAll(EXAMPLE_SERVER, server.url)
          .replace('/widget/ix-playground.js', '/widget/no-such-file.js')
          .replace('</ix-playground>', `${fallback}</ix-playground>`),
      ),
    },
    blogPort,
  );
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await blog?.close();
  await server?.stop();
});

test('the README snippet pasted into a page on another origin boots a shell', async () => {
  assert.match(snippet, /<script type="module" src="https:\/\/play\.example\.com\/widget\/ix-playground\.js"><\/script>/);
  const page = await browser.newPage();
  const logged = [];
  page.on('console', (m) => logged.push(m.text()));
  await page.goto(`${blog.url}/post.html`, { waitUntil: 'load' });
  await page.waitForFunction(() => document.querySelector('ix-playground').getAttribute('status') === 'ready', { timeout: 15_000 });
  await waitForScreen(page, /learner@hello:~\$ $/m);
  await typeCommand(page, 'echo $((6*7))');
  await waitForScreen(page, /^42$/m);
  // The snippet's own listener hears the task tick.
  await typeCommand(page, 'touch hello.txt');
  const deadline = Date.now() + 15_000;
  while (!logged.includes('make-file done') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(logged.includes('make-file done'), `console said: ${logged.join(' | ')}`);
  await page.close();
});

test('the widget files answer any origin, and revalidate or cache as their names say', async () => {
  const entry = await fetch(`${server.url}/widget/ix-playground.js`, { headers: { origin: 'https://blog.example' } });
  assert.equal(entry.status, 200);
  assert.equal(entry.headers.get('access-control-allow-origin'), '*');
  assert.equal(entry.headers.get('cache-control'), 'no-cache');
  const etag = entry.headers.get('etag');
  assert.ok(etag);
  const chunk = /from"\.\/(core\.[\w-]+\.js)"/.exec(await entry.text())[1];

  const again = await fetch(`${server.url}/widget/ix-playground.js`, { headers: { origin: 'https://blog.example', 'if-none-match': etag } });
  assert.equal(again.status, 304);
  assert.equal(again.headers.get('access-control-allow-origin'), '*');

  const hashed = await fetch(`${server.url}/widget/${chunk}`);
  assert.equal(hashed.status, 200);
  assert.equal(hashed.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(hashed.headers.get('access-control-allow-origin'), '*');

  // The session API is not public: that origin may not start sessions.
  const api = await fetch(`${server.url}/api/sessions`, {
    method: 'POST',
    headers: { origin: 'https://blog.example', 'content-type': 'application/json' },
    body: JSON.stringify({ playground: 'hello' }),
  });
  assert.equal(api.status, 403);
});

test("an element's fallback content shows while its script cannot load, and hides once it upgrades", async () => {
  const page = await browser.newPage();
  await page.goto(`${blog.url}/broken.html`, { waitUntil: 'load' });
  await new Promise((r) => setTimeout(r, 300));
  const broken = await page.evaluate(() => ({
    defined: !!customElements.get('ix-playground'),
    visible: document.getElementById('fallback').checkVisibility(),
    height: document.getElementById('fallback').getBoundingClientRect().height,
  }));
  assert.deepEqual({ ...broken, height: broken.height > 0 }, { defined: false, visible: true, height: true });

  await page.goto(`${blog.url}/fallback.html`, { waitUntil: 'load' });
  await page.waitForFunction(() => customElements.get('ix-playground') && document.querySelector('ix-playground').shadowRoot);
  assert.equal(await page.evaluate(() => document.getElementById('fallback').checkVisibility()), false);
  await page.close();
});
