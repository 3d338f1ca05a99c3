// One reader, many tabs: limits that fit how people read. A reader's detached sessions (tabs they
// closed) make room for new ones; a reader at the limit with every session in use is told which
// limit and when to try again; a tab coming back to a session that made room is told so.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, startPageServer, startServerProcess, waitForScreen } from '../harness.mjs';

let browser;
let pages;
let current; // the server the post's playground uses
const servers = [];

before(async () => {
  browser = await launchBrowser();
  // A blog post with one playground (each tab that opens it gets its own session).
  pages = await startPageServer({
    get '/post'() {
      return `<!doctype html><html lang="en"><head><title>post</title><script type="module" src="${current.url}/widget/ix-playground.js"></script></head>
<body><ix-playground id="lab" server="${current.url}" playground="hello" connect="eager"></ix-playground>
<script>window.codes = []; document.addEventListener('ix-error', (e) => codes.push(e.detail.code));</script></body></html>`;
    },
  });
});

after(async () => {
  await browser?.close();
  await pages?.close();
  for (const s of servers) await s.stop();
});

/** Starts a server that allows the post's origin, makes the post use it, and answers the post's URL. */
async function post(env = {}) {
  current = await startServerProcess({ IX_ORIGINS: pages.url, ...env });
  servers.push(current);
  return `${pages.url}/post`;
}

const statusOf = (page) => page.evaluate(() => document.getElementById('lab').status);
const ready = (page) => page.waitForFunction(() => document.getElementById('lab').status === 'ready', { timeout: 20_000 });
const sessions = async (server) => (await (await fetch(`${server.url}/healthz`)).json()).sessions;

async function overlayOf(page, status) {
  await page.waitForFunction((status) => document.getElementById('lab').status === status, { timeout: 15_000 }, status);
  return page.evaluate(() => {
    const overlay = document.getElementById('lab').shadowRoot.querySelector('[part="overlay"]');
    return {
      title: overlay.querySelector('strong')?.textContent.trim() ?? '',
      message: overlay.querySelector('.message').innerText,
      button: overlay.querySelector('button')?.textContent.trim() ?? '',
      codes: window.codes,
    };
  });
}

test('a reader who read five posts in tabs and closed them still gets a shell in the sixth (default limits: 4 per reader)', async () => {
  const url = await post();
  const server = current;
  for (let i = 1; i <= 5; i++) {
    const tab = await browser.newPage();
    await tab.goto(url, { waitUntil: 'load' });
    await ready(tab);
    await tab.close(); // the reader moves on; the session lingers, detached, for its grace period
  }
  const sixth = await browser.newPage();
  await sixth.goto(url, { waitUntil: 'load' });
  await ready(sixth);
  await sixth.evaluate(() => document.getElementById('lab').run('echo sixth-$((3+3))'));
  await waitForScreen(sixth, /^sixth-6$/m, { selector: '#lab' });
  assert.ok((await sessions(server)) <= 4, 'the oldest detached sessions made room');
  await sixth.close();
});

test('at the limit with every session in use: says which limit and when to retry; a session that made room says so and offers a new one', async () => {
  const url = await post({ IX_MAX_SESSIONS_PER_CLIENT: '1' });
  const first = await browser.newPage();
  await first.goto(url, { waitUntil: 'load' });
  await ready(first);

  // A second tab while the first is open: refused, with which limit and when to try again.
  const second = await browser.newPage();
  await second.goto(url, { waitUntil: 'load' });
  const refused = await overlayOf(second, 'error');
  assert.equal(refused.title, 'Too many playgrounds open');
  assert.match(
    refused.message,
    /you already have 1 playgrounds open \(the most for one reader\): close one in another tab, or try again \d+ s after closing it/i,
  );
  assert.equal(refused.button, 'Retry');
  assert.deepEqual(refused.codes, ['limit']);

  // The first tab goes elsewhere (its session is now detached); Retry gets the second a shell.
  // The server hears the first tab's socket close a moment after the navigation: until then a
  // Retry meets the limit again, so press it again, as a reader would (bounded).
  await first.goto('about:blank');
  const deadline = Date.now() + 20_000;
  while ((await statusOf(second)) !== 'ready') {
    assert.ok(Date.now() < deadline, 'Retry never got the second tab a shell');
    if ((await statusOf(second)) === 'error') {
      await second.evaluate(() => document.getElementById('lab').shadowRoot.querySelector('[part="overlay-button"]').click());
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await second.close();

  // The first tab comes back: its session made room for the second tab's, and it says so.
  await first.goto(url, { waitUntil: 'load' });
  const evicted = await overlayOf(first, 'ended');
  assert.equal(evicted.message, 'This playground was closed to make room for one you opened in another tab.');
  assert.equal(evicted.button, 'Start a new session');
  assert.deepEqual(evicted.codes, ['ended']);
  await first.evaluate(() => document.getElementById('lab').shadowRoot.querySelector('[part="overlay-button"]').click());
  await ready(first);
  assert.equal(await statusOf(first), 'ready');
  await first.close();
});
