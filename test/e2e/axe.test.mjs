// axe-core (from npm) on every example page, in light and in dark (prefers-color-scheme
// emulated), with the terminals booted: no critical and no serious violation. The pages are
// served by the real server with the CDN build, as `npm start` serves them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { launchBrowser, startServerProcess } from '../harness.mjs';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const PAGES = ['index.html', 'course.html', 'csp.html', 'article.html', 'machines.html'];

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

/** Opens a page in a colour scheme, with axe injected (past the page's CSP, as a test tool may be). */
async function open(path, scheme) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  await page.setBypassCSP(true);
  await page.emulateMediaFeatures([
    { name: 'prefers-color-scheme', value: scheme },
    { name: 'prefers-reduced-motion', value: 'reduce' }, // no blinking cursor caught half-drawn
  ]);
  await page.goto(`${server.url}/${path}`, { waitUntil: 'load' });
  await page.addScriptTag({ content: axeSource });
  return page;
}

/** Every playground the reader can see has started, and every checklist shows its tasks. */
async function settled(page) {
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll('ix-playground')].every((el) => {
        const r = el.getBoundingClientRect();
        const near = r.bottom > -200 && r.top < innerHeight + 200;
        const buffer = el.terminal?.buffer.active;
        return !near || (el.status === 'ready' && /[$#]\s*$/.test(buffer?.getLine(buffer.baseY + buffer.cursorY)?.translateToString(true) ?? ''));
      }) && [...document.querySelectorAll('ix-tasks')].every((el) => el.shadowRoot?.querySelector('.task')),
    { timeout: 120_000 }, // machines.html builds its image on a machine's first run (about half a minute)
  );
  await new Promise((r) => setTimeout(r, 300)); // xterm draws its rows on the next frame
}

/** axe's critical and serious violations, each with the elements it names. */
async function violations(page) {
  const found = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' >>> ')}: ${n.failureSummary}`),
    }));
  });
  return found.filter((v) => v.impact === 'critical' || v.impact === 'serious');
}

for (const scheme of ['light', 'dark']) {
  for (const path of PAGES) {
    test(`axe finds no critical or serious violation on examples/${path} in ${scheme}`, async () => {
      const page = await open(path, scheme);
      // Scroll through the page so every playground and checklist boots (article.html: the
      // first three lessons; the others are the same markup).
      const targets = await page.evaluate(() => [...document.querySelectorAll('ix-playground')].slice(0, 3).map((el) => el.id || ''));
      for (const [i, id] of targets.entries()) {
        await page.evaluate(
          (id, i) => (id ? document.getElementById(id) : document.querySelectorAll('ix-playground')[i]).scrollIntoView({ block: 'center' }),
          id,
          i,
        );
        await settled(page);
        assert.deepEqual(await violations(page), [], `${path} in ${scheme}, scrolled to playground ${i + 1}`);
      }
      await page.close();
    });
  }

  test(`axe finds no critical or serious violation on a terminal with the focus, screen-reader mode, tabs and an error overlay in ${scheme}`, async () => {
    const page = await open('index.html', scheme);
    await page.evaluate(() => document.querySelector('ix-playground').scrollIntoView({ block: 'center' }));
    await settled(page);
    await page.evaluate(() => {
      const el = document.querySelector('ix-playground');
      el.setAttribute('screen-reader', '');
      el.openTab();
      const broken = document.createElement('ix-playground');
      broken.setAttribute('playground', 'no-such-playground');
      broken.setAttribute('connect', 'eager');
      el.after(broken);
    });
    await page.waitForFunction(() => document.querySelectorAll('ix-playground')[1].status === 'error', { timeout: 15_000 });
    await page.waitForFunction(() => document.querySelector('ix-playground').shadowRoot.querySelectorAll('[role="tab"]').length === 2, { timeout: 15_000 });
    await page.evaluate(() => document.querySelector('ix-playground').focus());
    await page.waitForFunction(() => !document.querySelector('ix-playground').shadowRoot.querySelector('[part="hint"]').hidden);
    await page.waitForFunction(() => document.querySelector('ix-playground').shadowRoot.querySelector('.xterm-accessibility'));
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await violations(page), []);
    await page.close();
  });
}
