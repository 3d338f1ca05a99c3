// What a reader sees when the playground cannot start: each cause has its own overlay, message,
// `ix-error` code and, only where it can help, a button. Real servers, real Chromium, the CDN build.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freePort, launchBrowser, startPageServer, startServerProcess } from '../harness.mjs';

let widgets; // serves the widget's files to the pages
let pages;
let browser;
let target = { server: '', playground: 'hello' }; // what the page's playground uses
const servers = [];

before(async () => {
  // A page on its own origin with one playground, recording its ix-error codes.
  pages = await startPageServer({
    get '/'() {
      return `<!doctype html><html lang="en"><head><title>errors</title><script type="module" src="${widgets.url}/widget/ix-playground.js"></script></head>
<body><ix-playground id="lab" server="${target.server}" playground="${target.playground}" connect="eager"></ix-playground>
<script>window.codes = []; document.addEventListener('ix-error', (e) => codes.push(e.detail.code));</script></body></html>`;
    },
  });
  widgets = await startServerProcess({ IX_ORIGINS: pages.url });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await pages?.close();
  for (const s of servers) await s.stop();
  await widgets?.stop();
});

/** Opens the page with its playground on `server`. */
async function openPage(server, playground = 'hello') {
  target = { server, playground };
  const page = await browser.newPage();
  await page.goto(`${pages.url}/`, { waitUntil: 'load' });
  return page;
}

/** The overlay as the reader sees it, once the element shows an error. */
async function overlayOf(page) {
  await page.waitForFunction(() => document.getElementById('lab').status === 'error', { timeout: 15_000 });
  return page.evaluate(() => {
    const el = document.getElementById('lab');
    const overlay = el.shadowRoot.querySelector('[part="overlay"]');
    return {
      code: overlay.dataset.code,
      title: overlay.querySelector('strong')?.textContent.trim() ?? '',
      message: overlay.querySelector('.message').innerText,
      button: overlay.querySelector('button')?.textContent.trim() ?? '',
      codes: window.codes,
    };
  });
}

test('server down: says it cannot reach the server, retries, and connects once the server is back', async () => {
  const port = await freePort(); // nothing listens here yet
  const page = await openPage(`http://127.0.0.1:${port}`);
  const seen = await overlayOf(page);
  assert.equal(seen.code, 'network');
  assert.equal(seen.title, 'Cannot reach the playground server');
  assert.match(seen.message, /Cannot reach the playground server at http:\/\/127\.0\.0\.1:\d+\nTrying again in 2 s\./);
  assert.equal(seen.button, 'Retry');
  assert.deepEqual(seen.codes, ['network']);

  servers.push(await startServerProcess({ IX_ORIGINS: pages.url }, { port }));
  // Retry (unless the element's own retry is under way at this very moment) connects.
  await page.evaluate(() => document.getElementById('lab').shadowRoot.querySelector('[part="overlay-button"]')?.click());
  await page.waitForFunction(() => document.getElementById('lab').status === 'ready', { timeout: 15_000 });
  await page.close();
});

test('origin refused: tells the site owner which origin to add, with no button that cannot help', async () => {
  const strict = await startServerProcess({ IX_ORIGINS: 'https://blog.example.com' });
  servers.push(strict);
  const page = await openPage(strict.url);
  const seen = await overlayOf(page);
  assert.equal(seen.code, 'origin');
  assert.equal(seen.title, 'This page may not use this playground server');
  assert.ok(seen.message.includes(`its operator must add ${pages.url} to IX_ORIGINS`), seen.message);
  assert.equal(seen.button, '');
  assert.deepEqual(seen.codes, ['origin']);
  await page.close();
});

test('unknown playground: names the playgrounds the server has, with no button', async () => {
  const page = await openPage(widgets.url, 'docker-101');
  const seen = await overlayOf(page);
  assert.equal(seen.code, 'playground-not-found');
  assert.equal(seen.title, 'No such playground');
  assert.match(seen.message, /No playground named "docker-101"; this server has: hello, permissions/);
  assert.equal(seen.button, '');
  assert.deepEqual(seen.codes, ['playground-not-found']);
  await page.close();
});
