import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, startServerProcess, typeCommand, waitForScreen } from '../harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServerProcess();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openReady(page) {
  await page.goto(`${server.url}/`, { waitUntil: 'load' });
  await page.evaluate(() => document.querySelector('ix-playground').scrollIntoView());
  await page.waitForFunction(() => document.querySelector('ix-playground').getAttribute('status') === 'ready', { timeout: 15_000 });
  await waitForScreen(page, /learner@hello:~\$ $/m);
}

/** Resolves with the page's answer to a script call, or rejects if it takes longer than `ms`. */
function answersWithin(page, ms) {
  return Promise.race([
    page.evaluate(() => 6 * 7),
    new Promise((_, reject) => setTimeout(() => reject(new Error(`the page did not answer within ${ms} ms`)), ms)),
  ]);
}

test('a page reload resumes the same shell with its scrollback', async () => {
  const page = await browser.newPage();
  await openReady(page);
  await typeCommand(page, 'echo pid=$$ && echo before-re""load');
  const text = await waitForScreen(page, /^before-reload$/m);
  const pid = /^pid=(\d+)$/m.exec(text)[1];

  await page.reload({ waitUntil: 'load' });
  await page.evaluate(() => document.querySelector('ix-playground').scrollIntoView());
  await page.waitForFunction(() => document.querySelector('ix-playground').getAttribute('status') === 'ready', { timeout: 15_000 });
  await waitForScreen(page, /^before-reload$/m); // the scrollback came back
  await typeCommand(page, 'echo again=$$');
  await waitForScreen(page, new RegExp(`^again=${pid}$`, 'm'));
  await page.close();
});

test('`yes` floods for 20 s without freezing the tab, and Ctrl-C brings the prompt back', { timeout: 90_000 }, async (t) => {
  const page = await browser.newPage();
  await openReady(page);
  await typeCommand(page, 'yes');
  await waitForScreen(page, /^y$/m);
  const deadline = Date.now() + 20_000;
  let answers = 0;
  while (Date.now() < deadline) {
    assert.equal(await answersWithin(page, 5_000), 42);
    answers++;
    await new Promise((r) => setTimeout(r, 500));
  }
  const stopped = Date.now();
  await page.keyboard.down('Control');
  await page.keyboard.press('c');
  await page.keyboard.up('Control');
  await waitForScreen(page, /\^C\s*\n?learner@hello:~\$ $/m, { timeout: 20_000 });
  t.diagnostic(`page answered ${answers} script calls during the flood; prompt back ${Date.now() - stopped} ms after Ctrl-C`);
  await typeCommand(page, 'echo after-fl""ood');
  await waitForScreen(page, /^after-flood$/m);
  await page.close();
});
