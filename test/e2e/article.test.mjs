// examples/article.html: ten playgrounds on three shared machines. Only the playgrounds a reader
// scrolls to open a socket; playgrounds with one `session` value share one machine.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, startServerProcess, waitForScreen } from '../harness.mjs';

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

/** Each playground: its id, status, `session` value, and whether it has ever been near the viewport. */
const snapshot = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('ix-playground')].map((el) => {
      const r = el.getBoundingClientRect();
      if (r.bottom > -200 && r.top < innerHeight + 200) el.dataset.seen = 'yes'; // within the element's 200px margin
      return { id: el.id, status: el.status, machine: el.getAttribute('session'), seen: el.dataset.seen === 'yes' };
    }),
  );

/** Waits until every playground the reader has come near is ready. */
async function settle(page) {
  await snapshot(page);
  await page.waitForFunction(() => [...document.querySelectorAll('ix-playground')].every((el) => el.dataset.seen !== 'yes' || el.status === 'ready'), {
    timeout: 20_000,
  });
  await new Promise((r) => setTimeout(r, 300));
  return snapshot(page);
}

test('ten playgrounds open sockets only for the ones scrolled into view, and those with one session value share a machine', async () => {
  const page = await browser.newPage();
  await page.setViewport({ width: 1000, height: 800 });
  const cdp = await page.createCDPSession();
  await cdp.send('Network.enable');
  const sockets = [];
  cdp.on('Network.webSocketCreated', (e) => sockets.push(e.url));
  await page.goto(`${server.url}/article.html`, { waitUntil: 'load' });
  const sessions = async () => (await (await fetch(`${server.url}/healthz`)).json()).sessions;

  const check = async (where) => {
    const all = await settle(page);
    const started = all.filter((p) => p.status !== 'idle');
    assert.ok(started.length > 0 && started.length < 10, `${where}: ${started.length} started`);
    assert.deepEqual(
      all.filter((p) => p.status !== 'idle').map((p) => p.id),
      all.filter((p) => p.seen).map((p) => p.id),
      `${where}: exactly the playgrounds scrolled near have started`,
    );
    assert.equal(sockets.length, started.length, `${where}: one socket per started playground, none for the others`);
    assert.equal(await sessions(), new Set(started.map((p) => p.machine)).size, `${where}: one session per machine in use`);
    return all;
  };

  const atTop = await check('at the top');
  assert.ok(atTop.find((p) => p.id === 'p1').seen);
  assert.ok(!atTop.find((p) => p.id === 'p5').seen);

  // Lesson 1 writes a note on machine A; lesson 5, far below, is on machine A too.
  await page.evaluate(() => document.getElementById('p1').run('mkdir -p ~/article && echo "note-by-$$" > ~/article/note && echo "p1=""$$"'));
  const p1 = (await waitForScreen(page, /^p1=(\d+)$/m, { selector: '#p1' })).match(/^p1=(\d+)$/m)[1];

  await page.evaluate(() => document.getElementById('p5').scrollIntoView({ block: 'center' }));
  const after5 = await check('scrolled to lesson 5');
  assert.ok(after5.find((p) => p.id === 'p10').status === 'idle', 'the last lesson has not started');
  await page.evaluate(() => document.getElementById('p5').run('cat ~/article/note; echo "p5=""$$"'));
  const text = await waitForScreen(page, /^p5=\d+$/m, { selector: '#p5' });
  assert.match(text, new RegExp(`^note-by-${p1}$`, 'm'), 'lesson 5 sees the file lesson 1 made');
  assert.notEqual(text.match(/^p5=(\d+)$/m)[1], p1, 'from a shell of its own');

  await page.evaluate(() => document.getElementById('p10').scrollIntoView({ block: 'center' }));
  await check('scrolled to lesson 10');
  await page.close();
});
