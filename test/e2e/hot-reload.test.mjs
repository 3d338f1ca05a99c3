import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { launchBrowser, startServerProcess, typeCommand, waitForScreen } from '../harness.mjs';

const root = new URL('../..', import.meta.url).pathname;
let dir;
let server;
let browser;

before(async () => {
  // The author's folder: a copy, so the test can edit it like an author saving in an editor.
  dir = mkdtempSync(path.join(os.tmpdir(), 'ix-authoring-'));
  cpSync(path.join(root, 'examples/playgrounds'), dir, { recursive: true });
  server = await startServerProcess({ PLAYGROUNDS: dir });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const taskTitles = (page) =>
  page.evaluate(() => [...document.querySelector('ix-tasks').shadowRoot.querySelectorAll('.task-title')].map((el) => el.textContent));

test('saving a manifest updates the open page without restarting its shell; a bad save shows its error', async () => {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto(`${server.url}/course.html`, { waitUntil: 'load' });
  await page.waitForFunction(() => document.querySelector('#lab').getAttribute('status') === 'ready', { timeout: 15_000 });
  await page.waitForFunction(() => document.querySelector('ix-tasks').shadowRoot.querySelectorAll('li.task').length === 4, { timeout: 15_000 });
  await typeCommand(page, 'echo pid=$$', '#lab');
  const pid = /^pid=(\d+)$/m.exec(await waitForScreen(page, /^pid=\d+$/m, { selector: '#lab' }))[1];

  const file = path.join(dir, 'permissions.yaml');
  const original = readFileSync(file, 'utf8');
  writeFileSync(file, `${original.trimEnd()}\n  - id: bonus\n    title: Bonus - list your files with ls -l\n    check: "true"\n`);
  await page.waitForFunction(() => document.querySelector('ix-tasks').shadowRoot.querySelectorAll('li.task').length === 5, { timeout: 15_000 });
  assert.ok((await taskTitles(page)).includes('Bonus - list your files with ls -l'));

  writeFileSync(file, original.replace('title: Files and permissions', 'titel: Files and permissions'));
  await page.waitForFunction(
    () => /permissions\.yaml:\d+: titel: unknown key "titel"/.test(document.querySelector('ix-tasks').shadowRoot.querySelector('.notices')?.textContent ?? ''),
    { timeout: 15_000 },
  );
  assert.equal((await taskTitles(page)).length, 5, 'the last good version stays');

  await typeCommand(page, 'echo again=$$', '#lab');
  await waitForScreen(page, new RegExp(`^again=${pid}$`, 'm'), { selector: '#lab' });
  await page.close();
});
