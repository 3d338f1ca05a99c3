// Takes the screenshots in docs/embedding.md with the test suite's browser (Debian's Chromium via
// puppeteer-core, against a real server): each element of examples/course.html, in light and in
// dark. Run `npm run screenshots` after changing how the elements look, and commit the PNGs.
import { mkdirSync } from 'node:fs';
import { launchBrowser, startServerProcess, waitForScreen } from './harness.mjs';

const out = new URL('../docs/images/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });

const server = await startServerProcess();
const browser = await launchBrowser();
try {
  for (const scheme of ['light', 'dark']) {
    const page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 900 });
    await page.emulateMediaFeatures([
      { name: 'prefers-color-scheme', value: scheme },
      { name: 'prefers-reduced-motion', value: 'reduce' }, // a steady cursor
    ]);
    await page.goto(`${server.url}/course.html`, { waitUntil: 'load' });
    await page.waitForFunction(() => document.getElementById('lab').status === 'ready', { timeout: 20_000 });
    // Some coloured output, one task done and a hint open: what a reader sees a minute in.
    await page.evaluate(() => document.getElementById('lab').run('touch ~/project/notes.txt; ls --color=always -la ~/project'));
    await waitForScreen(page, /README/, { selector: '#lab' });
    await page.waitForFunction(() => document.querySelector('ix-tasks').shadowRoot.querySelector('[data-state="done"]'), { timeout: 20_000 });
    await page.evaluate(() => document.querySelector('ix-tasks').shadowRoot.querySelector('[data-task="make-executable"] .hint-button').click());
    await page.evaluate(() => document.getElementById('lab').focus()); // the focus ring and the way out
    await new Promise((r) => setTimeout(r, 500));
    const shots = { playground: '#lab', tasks: 'ix-tasks', run: 'ix-run' };
    for (const [name, selector] of Object.entries(shots)) {
      const el = await page.$(selector);
      await el.screenshot({ path: `${out}${name}-${scheme}.png` });
      console.log(`docs/images/${name}-${scheme}.png`);
    }
    await page.close();
  }
} finally {
  await browser.close();
  await server.stop();
}
