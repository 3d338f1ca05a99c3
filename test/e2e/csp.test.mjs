import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, startServerProcess, typeCommand, waitForScreen } from '../harness.mjs';

const POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'";

let server;
let browser;
let page;
const consoleErrors = [];

before(async () => {
  server = await startServerProcess();
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 900 });
  // Installed before any page script runs, and not subject to the page's policy.
  await page.evaluateOnNewDocument(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__violations.push(`${e.violatedDirective} at ${e.sourceFile}:${e.lineNumber}: ${e.composedPath()[0]?.outerHTML?.slice(0, 200) ?? e.blockedURI}`),
    );
  });
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** How the first playground's terminal looks: font, cell widths of narrow and wide letters, cursor. */
function measure() {
  return page.evaluate(() => {
    const el = document.querySelector('ix-playground');
    const root = el.shadowRoot;
    const rows = root.querySelector('.xterm-rows');
    const screen = root.querySelector('.xterm-screen');
    const cell = screen.getBoundingClientRect().width / el.terminal.cols;
    // The width the browser gives a run of ten letters, wherever they sit in a row.
    const widthOf = (text) => {
      for (const node of root.querySelectorAll('.xterm-rows span')) {
        const at = node.textContent.indexOf(text);
        if (at < 0 || !node.firstChild) continue;
        const range = document.createRange();
        range.setStart(node.firstChild, at);
        range.setEnd(node.firstChild, at + text.length);
        return range.getBoundingClientRect().width;
      }
      return -1;
    };
    const cursor = root.querySelector('.xterm-cursor');
    return {
      fontFamily: getComputedStyle(rows).fontFamily,
      cell,
      narrow: widthOf('iiiiiiiiii'),
      wide: widthOf('WWWWWWWWWW'),
      cursorClass: cursor?.className ?? '',
      cursorBackground: cursor ? getComputedStyle(cursor).backgroundColor : '',
      violations: window.__violations,
    };
  });
}

test('examples/csp.html is served with a strict policy and its terminal renders with 0 violations', async () => {
  const response = await page.goto(`${server.url}/csp.html`, { waitUntil: 'load' });
  assert.equal(response.headers()['content-security-policy'], POLICY);

  await page.waitForFunction(() => document.querySelector('ix-playground').getAttribute('status') === 'ready', { timeout: 15_000 });
  await waitForScreen(page, /learner@hello:~\$ $/m);
  await typeCommand(page, 'echo iiiiiiiiii WWWWWWWWWW');
  await waitForScreen(page, /^iiiiiiiiii WWWWWWWWWW$/m);
  // The buffer has the line; the DOM renderer draws it on a later frame (late on a loaded machine).
  await page.waitForFunction(
    () => {
      const spans = [...document.querySelector('ix-playground').shadowRoot.querySelectorAll('.xterm-rows span')];
      return ['iiiiiiiiii', 'WWWWWWWWWW'].every((text) => spans.some((node) => node.textContent.includes(text)));
    },
    { timeout: 15_000 },
  );

  // The monospace font applies (xterm's font rule reached the rows), and every letter takes one
  // cell: ten i's are exactly as wide as ten W's, both ten cells.
  const look = await measure();
  assert.match(look.fontFamily, /ui-monospace|DejaVu Sans Mono/);
  assert.ok(Math.abs(look.narrow - 10 * look.cell) < 0.5, `ten i's are ${look.narrow}px, ten cells ${10 * look.cell}px`);
  assert.ok(Math.abs(look.wide - 10 * look.cell) < 0.5, `ten W's are ${look.wide}px, ten cells ${10 * look.cell}px`);

  // The focused cursor is a block in the theme's cursor colour, the text colour by default (it
  // blinks, so look for a while).
  assert.match(look.cursorClass, /xterm-cursor-block/);
  await page.waitForFunction(
    () => {
      const el = document.querySelector('ix-playground');
      return getComputedStyle(el.shadowRoot.querySelector('.xterm-cursor')).backgroundColor === getComputedStyle(el).color;
    },
    { timeout: 3000, polling: 50 },
  );

  // The checklist and the snippet render under the same policy; a second tab opens a second xterm.
  await page.waitForFunction(() => document.querySelector('ix-tasks').shadowRoot.querySelectorAll('li.task').length > 0, { timeout: 10_000 });
  await page.evaluate(() => document.querySelector('ix-playground').openTab());
  await page.waitForFunction(() => document.querySelector('ix-playground').shadowRoot.querySelectorAll('.xterm').length === 2, { timeout: 10_000 });
  await page.evaluate(() => document.querySelector('ix-run').shadowRoot.querySelector('button.run').click());
  await waitForScreen(page, /notes\.txt/);
  if (process.env.IX_SCREENSHOTS) await page.screenshot({ path: `${process.env.IX_SCREENSHOTS}/csp.png`, fullPage: true });

  const { violations } = await measure();
  assert.deepEqual(violations, []);
  assert.deepEqual(
    consoleErrors.filter((e) => /Content Security Policy/i.test(e)),
    [],
  );
  assert.equal(await page.$eval('#violations', (el) => el.textContent), 'None.');
});
