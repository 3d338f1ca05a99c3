import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, screenText, startServerProcess, typeCommand, waitForScreen } from '../harness.mjs';

let server;
let browser;
let page;

before(async () => {
  server = await startServerProcess();
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 800 });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the example page gives the reader a live sandboxed shell that ticks the task', async (t) => {
  const started = Date.now();
  await page.goto(`${server.url}/`, { waitUntil: 'load' });
  await page.evaluate(() => document.querySelector('ix-playground').scrollIntoView());
  await page.waitForFunction(() => document.querySelector('ix-playground').getAttribute('status') === 'ready', { timeout: 15_000 });
  await waitForScreen(page, /learner@hello:~\$ $/m);
  t.diagnostic(`page load to first prompt: ${Date.now() - started} ms`);

  await typeCommand(page, 'echo $((6*7))');
  await waitForScreen(page, /^42$/m);

  await typeCommand(page, 'cat /etc/shadow');
  await waitForScreen(page, /cat: \/etc\/shadow: Permission denied/);

  await typeCommand(page, 'ls ~');
  await waitForScreen(page, /notes\.txt\s+scripts\s+work/);

  // Resizing the window resizes the pty: tput agrees with xterm's column count.
  await page.setViewport({ width: 700, height: 800 });
  await page.waitForFunction(() => document.querySelector('ix-playground').terminal.cols < 80, { timeout: 5000 });
  const cols = await page.evaluate(() => document.querySelector('ix-playground').terminal.cols);
  await typeCommand(page, 'echo cols=$(tput cols)');
  await waitForScreen(page, new RegExp(`^cols=${cols}$`, 'm'));

  // Doing the task ticks it; the page's own script logs the ix-task event it receives.
  assert.doesNotMatch(await page.$eval('#log', (el) => el.textContent), /make-file.*done/);
  await typeCommand(page, 'touch hello.txt');
  await page.waitForFunction(() => /Task make-file: .* — done/.test(document.querySelector('#log').textContent), { timeout: 15_000 });
  assert.match(await screenText(page), /touch hello\.txt/);
});
