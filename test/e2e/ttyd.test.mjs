// <ix-playground protocol="ttyd"> against a server speaking ttyd's framing, in real Chromium.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { launchBrowser, startServerProcess, typeCommand, waitForScreen } from '../harness.mjs';
import { startTtydPeer } from '../ttyd-peer.mjs';

let server;
let peer;
let guarded;
let browser;
let page;
let pages;

before(async () => {
  peer = await startTtydPeer();
  guarded = await startTtydPeer({ credential: 'dXNlcjpzZWNyZXQ=' });
  pages = mkdtempSync(path.join(os.tmpdir(), 'ix-ttyd-pages-'));
  const pageOf = (attrs) =>
    `<!doctype html><meta charset="utf-8"><script type="module" src="/widget/ix-playground.js"></script><ix-playground ${attrs}></ix-playground>`;
  writeFileSync(path.join(pages, 'open.html'), pageOf(`protocol="ttyd" server="${peer.url}" connect="eager"`));
  writeFileSync(path.join(pages, 'token.html'), pageOf(`protocol="ttyd" server="${guarded.url}" token="dXNlcjpzZWNyZXQ=" connect="eager"`));
  writeFileSync(path.join(pages, 'wrong.html'), pageOf(`protocol="ttyd" server="${guarded.url}" token="nope" connect="eager"`));
  server = await startServerProcess({ IX_STATIC: pages, IX_WATCH: '0' });
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1000, height: 700 });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await peer?.close();
  await guarded?.close();
  if (pages) rmSync(pages, { recursive: true, force: true });
});

const status = () => page.evaluate(() => document.querySelector('ix-playground').getAttribute('status'));

test('a ttyd terminal boots, follows the element size, and says it has no tasks or resume', async () => {
  await page.goto(`${server.url}/open.html`);
  await page.waitForFunction(() => document.querySelector('ix-playground').getAttribute('status') === 'ready', { timeout: 15_000 });
  await waitForScreen(page, /ttyd\$ $/m);
  const notice = await page.evaluate(() => document.querySelector('ix-playground').shadowRoot.querySelector('[part="notice"]')?.textContent ?? '');
  assert.match(notice, /ttyd server: no task checks, and a lost connection cannot resume/);
  assert.match(peer.received[0] ?? '', /^\{"AuthToken":"","columns":\d+,"rows":\d+\}$/, 'the hello is the JSON ttyd expects');

  const cols = await page.evaluate(() => document.querySelector('ix-playground').terminal.cols);
  await typeCommand(page, 'tput cols');
  await waitForScreen(page, new RegExp(`^${cols}$`, 'm'));

  await page.setViewport({ width: 640, height: 700 });
  await page.waitForFunction((before) => document.querySelector('ix-playground').terminal.cols < before, { timeout: 5000 }, cols);
  const narrower = await page.evaluate(() => document.querySelector('ix-playground').terminal.cols);
  await typeCommand(page, 'clear; tput cols');
  await waitForScreen(page, new RegExp(`^${narrower}$`, 'm'));
  assert.ok(
    peer.received.some((m) => m.startsWith('1{"columns":')),
    'resizes were sent as ttyd resize commands',
  );
  assert.equal(await status(), 'ready');
});

test('the token attribute is the AuthToken: the right one gets a shell, a wrong one a clear error', async () => {
  await page.goto(`${server.url}/token.html`);
  await page.waitForFunction(() => document.querySelector('ix-playground').getAttribute('status') === 'ready', { timeout: 15_000 });
  await typeCommand(page, 'echo $((6*7))');
  await waitForScreen(page, /^42$/m);

  await page.goto(`${server.url}/wrong.html`);
  await page.waitForFunction(() => document.querySelector('ix-playground').getAttribute('status') === 'error', { timeout: 15_000 });
  const message = await page.evaluate(() => document.querySelector('ix-playground').shadowRoot.querySelector('[part="overlay"]').textContent);
  assert.match(message, /cannot connect to ttyd/);
});
