import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BUDGETS, budgetFiles, gzipSize } from '../../scripts/check-size.mjs';
import { freePort, launchBrowser, startPageServer, startServerProcess } from '../harness.mjs';

let server;
let pages;
let browser;

before(async () => {
  const pagesPort = await freePort();
  server = await startServerProcess({ IX_ORIGINS: `http://127.0.0.1:${pagesPort}` });
  // Ten playgrounds far below the fold, each 3000px from the next.
  const gap = '<div style="height:3000px"></div>';
  const playgrounds = Array.from({ length: 10 }, (_, i) => `${gap}<ix-playground id="p${i}" server="${server.url}" playground="hello"></ix-playground>`).join(
    '\n',
  );
  pages = await startPageServer(
    {
      '/click.html': `<!doctype html><html><head><script type="module" src="${server.url}/widget/ix-playground.js"></script></head><body><ix-playground server="${server.url}" playground="hello" connect="click"></ix-playground></body></html>`,
      '/long.html': `<!doctype html><html><head><script type="module" src="${server.url}/widget/ix-playground.js"></script></head><body><h1>A long article</h1>${playgrounds}</body></html>`,
    },
    pagesPort,
  );
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await pages?.close();
  await server?.stop();
});

const sessions = async () => (await (await fetch(`${server.url}/healthz`)).json()).sessions;

test('ten playgrounds below the fold load no terminal code and open no socket until the reader scrolls to one', async () => {
  const page = await browser.newPage();
  await page.setViewport({ width: 1000, height: 800 });
  const fetched = [];
  page.on('request', (r) => fetched.push(r.url()));
  const cdp = await page.createCDPSession();
  await cdp.send('Network.enable');
  const sockets = [];
  cdp.on('Network.webSocketCreated', (e) => sockets.push(e.url));

  await page.goto(`${pages.url}/long.html`, { waitUntil: 'networkidle0' });
  assert.equal(await page.evaluate(() => [...document.querySelectorAll('ix-playground')].filter((el) => el.shadowRoot && el.status === 'idle').length), 10);
  // Each one draws its placeholder: an element of the configured height, not a blank gap.
  assert.ok(await page.evaluate(() => document.querySelector('ix-playground').getBoundingClientRect().height >= 300));
  assert.ok(await page.evaluate(() => !!document.querySelector('ix-playground').shadowRoot.querySelector('[part="placeholder"]')));
  await new Promise((r) => setTimeout(r, 500));

  const widget = () => fetched.filter((u) => u.includes('/widget/')).map((u) => new URL(u).pathname.replace('/widget/', ''));
  const eager = budgetFiles(BUDGETS[0]);
  assert.deepEqual(widget().sort(), eager, 'only the eager entry and its static imports load');
  assert.deepEqual(sockets, []);
  assert.equal(fetched.filter((u) => u.includes('/api/')).length, 0);
  assert.equal(await sessions(), 0);

  // Scrolling to the first one boots it, and it alone.
  await page.evaluate(() => document.getElementById('p0').scrollIntoView());
  await page.waitForFunction(() => document.getElementById('p0').status === 'ready', { timeout: 15_000 });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(sockets.length, 1);
  assert.equal(await sessions(), 1);
  assert.deepEqual(await page.evaluate(() => [...document.querySelectorAll('ix-playground')].map((el) => el.status)), ['ready', ...Array(9).fill('idle')]);

  // What the page downloaded for a booted terminal is exactly the budgeted set, within budget.
  const booted = budgetFiles(BUDGETS[1]);
  assert.deepEqual(
    widget()
      .filter((f) => f.endsWith('.js'))
      .sort(),
    booted,
  );
  const total = booted.reduce((sum, f) => sum + gzipSize(f), 0);
  assert.ok(total <= BUDGETS[1].max, `${total} bytes gzip`);
  await page.close();
});

test('a connect="click" playground in view loads no terminal code until its Start button is clicked', async () => {
  const page = await browser.newPage();
  const fetched = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  await page.goto(`${pages.url}/click.html`, { waitUntil: 'networkidle0' });
  await new Promise((r) => setTimeout(r, 300));
  const heavy = () => fetched.filter((p) => /\/widget\/(terminal|xterm)\./.test(p));
  assert.deepEqual(heavy(), []);
  assert.equal(await page.evaluate(() => document.querySelector('ix-playground').status), 'idle');

  await page.evaluate(() => document.querySelector('ix-playground').shadowRoot.querySelector('.overlay button').click());
  await page.waitForFunction(() => document.querySelector('ix-playground').status === 'ready', { timeout: 15_000 });
  assert.equal(heavy().length, 2);
  await page.close();
});
