import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, startServerProcess, waitForScreen } from '../harness.mjs';

let server;
let browser;
let page;

before(async () => {
  server = await startServerProcess();
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const states = () =>
  page.evaluate(() =>
    Object.fromEntries([...document.querySelector('ix-tasks').shadowRoot.querySelectorAll('li.task')].map((li) => [li.dataset.task, li.dataset.state])),
  );

const waitForState = (id, state) =>
  page.waitForFunction(
    (id, state) => document.querySelector('ix-tasks').shadowRoot.querySelector(`[data-task="${id}"]`)?.dataset.state === state,
    { timeout: 15_000 },
    id,
    state,
  );

/** Clicks the Run button of the `<ix-run>` whose command is `command`. */
async function clickRun(command) {
  const clicked = await page.evaluate((command) => {
    const snippet = [...document.querySelectorAll('ix-run')].find((el) => el.command === command);
    snippet?.shadowRoot.querySelector('button.run').click();
    return !!snippet;
  }, command);
  assert.ok(clicked, `no <ix-run> for ${command}`);
}

test('a learner follows the files-and-permissions course to the end and every task ticks', async () => {
  await page.goto(`${server.url}/course.html`, { waitUntil: 'load' });
  await page.waitForFunction(() => document.querySelector('#lab').getAttribute('status') === 'ready', { timeout: 15_000 });
  await page.waitForFunction(() => document.querySelector('ix-tasks').shadowRoot.querySelectorAll('li.task').length === 4, { timeout: 15_000 });
  assert.deepEqual(await states(), { 'create-notes': 'pending', 'make-executable': 'blocked', 'private-notes': 'blocked', 'run-script': 'blocked' });
  assert.match(await page.$eval('#saved-text', (el) => el.textContent), /^(No progress saved yet\.|Saved in this browser: 0 of 4 tasks done)/);

  await clickRun('ls -l ~/project');
  await waitForScreen(page, /run\.sh/);
  await clickRun('touch ~/project/notes.txt');
  await waitForState('create-notes', 'done');
  await clickRun('chmod +x ~/project/run.sh');
  await waitForState('make-executable', 'done');
  await clickRun('~/project/run.sh');
  await waitForState('run-script', 'done');
  assert.equal((await states())['private-notes'], 'pending');

  // The last step has no snippet: the learner types it.
  await page.evaluate(() => document.querySelector('#lab').focus());
  await page.keyboard.type('chmod 600 ~/project/notes.txt');
  await page.keyboard.press('Enter');
  await waitForState('private-notes', 'done');

  await page.waitForFunction(() => document.querySelector('#congrats').textContent !== '', { timeout: 5000 });
  assert.match(await page.$eval('#saved-text', (el) => el.textContent), /^Saved in this browser: 4 of 4 tasks done/);
  const saved = JSON.parse(await page.evaluate(() => localStorage.getItem('ix-course:permissions')));
  assert.deepEqual([saved.done, saved.total], [4, 4]);
  assert.deepEqual(saved.tasks, { 'create-notes': 'done', 'make-executable': 'done', 'run-script': 'done', 'private-notes': 'done' });
  const summary = await page.evaluate(() => document.querySelector('ix-tasks').shadowRoot.querySelector('[role="status"]').textContent);
  assert.equal(summary, 'All 4 tasks done.');
});
