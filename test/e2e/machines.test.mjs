// Real machines: an image built from Debian packages (cached after the first build), root inside,
// two machines on a private network, and a web preview on an origin of its own, in Chromium.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { connect } from '../../packages/sdk/dist/index.js';
import { freePort, launchBrowser, startPageServer, startServerProcess, waitForScreen } from '../harness.mjs';

const MANIFEST = `name: lab-net
title: Two hosts and a web server
image: { debian: bookworm, packages: [python3, curl] }
machines:
  - name: node-1
  - name: node-2
    limits: { memory: 256Mi }
terminals:
  - { name: one, machine: node-1 }
  - { name: two, machine: node-2 }
files:
  - { path: site/index.html, content: "<h1>served from node-1</h1>\\n" }
tasks:
  - id: serve
    title: Serve ~/site on node-1, port 8080
    machine: node-2
    check: python3 -c "import urllib.request; urllib.request.urlopen('http://node-1:8080/')"
ports:
  - { machine: node-1, port: 8080, title: Site }
`;

let dir;
let server;
let session;
let hostListener;
let pagePort;
const out = ['', ''];

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ix-machines-'));
  writeFileSync(path.join(dir, 'lab-net.yaml'), MANIFEST);
  pagePort = await freePort(); // a blog's page, on another origin, embeds the lab in the last test
  server = await startServerProcess({ PLAYGROUNDS: dir, IX_WATCH: '0', IX_CHECK_INTERVAL: '0', IX_ORIGINS: `http://127.0.0.1:${pagePort}` });
  // The first session waits for the image build (about half a minute, once per machine and cache).
  session = await connect({ server: server.url, playground: 'lab-net', WebSocket, reconnect: false });
  session.on('output', ({ terminal, data }) => (out[terminal] += Buffer.from(data).toString()));
  hostListener = net.createServer((socket) => socket.end('host secret\n'));
  await new Promise((resolve) => hostListener.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  session?.close();
  await server?.stop();
  hostListener?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Types a command into a machine's terminal and waits (bounded) until its output matches. */
async function run(terminal, command, pattern, timeout = 20_000) {
  const marker = `__done_${Math.random().toString(36).slice(2, 8)}`;
  const from = out[terminal].length;
  session.write(terminal, `${command}; echo ${marker.slice(0, 6)}""${marker.slice(6)}\r`);
  const deadline = Date.now() + timeout;
  while (!out[terminal].slice(from).includes(`${marker}\r\n`)) {
    if (Date.now() > deadline) assert.fail(`no end of ${JSON.stringify(command)}: ${JSON.stringify(out[terminal].slice(-500))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const text = out[terminal].slice(from);
  if (pattern) assert.match(text, pattern, `${command} printed ${JSON.stringify(text.slice(-400))}`);
  return text;
}

test('the learner is root in a machine built from the image: apt-get, network devices, their own /etc/shadow', { timeout: 240_000 }, async () => {
  assert.deepEqual(
    [...session.terminals.values()].map((t) => [t.name, t.machine]),
    [
      ['one', 'node-1'],
      ['two', 'node-2'],
    ],
  );
  await run(0, 'id -u; hostname', /[\r\n]0\r\nnode-1\r\n/);
  await run(0, 'apt-get --version | head -1', /apt 2\.\d+/);
  // This kernel has no dummy driver (CONFIG_DUMMY): a veth pair shows the same power.
  await run(0, 'ip link add v0 type veth peer name v1 && ip -br link show v0 && echo LINK-OK', /LINK-OK/);
  await run(0, 'chown nobody ~/site && mount -t tmpfs scratch /mnt && echo ROOT-OK', /ROOT-OK/);
  const shadow = await run(0, 'head -1 /etc/shadow');
  assert.doesNotMatch(
    shadow,
    new RegExp(
      readFileSync('/etc/shadow', 'utf8')
        .split('\n')[0]
        .replace(/[$^.*+?()[\]{}|\\/]/g, '\\$&'),
    ),
    "the host's /etc/shadow is not what the learner sees",
  );
});

test('machines reach each other by name, and neither reaches the host', { timeout: 60_000 }, async () => {
  await run(1, '(python3 -m http.server 9000 >/dev/null 2>&1 &); sleep 1');
  await run(
    0,
    `getent hosts node-2; python3 -c "import urllib.request; print('status', urllib.request.urlopen('http://node-2:9000/').status)"`,
    /10\.89\.0\.11\s+node-2[\s\S]*status 200/,
  );
  const { port } = hostListener.address();
  const hostAddresses = Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4')
    .map((a) => a.address);
  const probe = (address) =>
    `python3 -c "import socket; s=socket.socket(); s.settimeout(2); print('${address}', 'OPEN' if s.connect_ex(('${address}', ${port})) == 0 else 'closed')"`;
  for (const terminal of [0, 1]) {
    const text = await run(terminal, hostAddresses.map(probe).join('; '));
    assert.doesNotMatch(text, /\d+\.\d+\.\d+\.\d+ OPEN/, `a host address was reachable from machine ${terminal + 1}: ${text}`);
  }
});

test("a server the learner starts on node-1 shows in its preview, on an origin that is not the server's", { timeout: 60_000 }, async () => {
  const [preview] = session.previews;
  assert.equal(preview?.machine, 'node-1');
  assert.equal(preview?.port, 8080);
  await run(0, 'cd ~/site && (python3 -m http.server 8080 >/dev/null 2>&1 &); sleep 1; cd');
  await waitForTask('serve');
  const url = new URL(preview.url);
  assert.notEqual(url.origin, new URL(server.url).origin);
  assert.match(url.hostname, /^[a-z2-7]{26}\.localhost$/);

  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(preview.url, { waitUntil: 'load' });
    assert.equal(await page.evaluate(() => document.querySelector('h1')?.textContent), 'served from node-1');
    assert.equal(await page.evaluate(() => location.origin), url.origin);
    // A wrong key is no preview at all.
    const wrong = await page.goto(preview.url.replace(/^http:\/\/[a-z2-7]{26}/, 'http://aaaaaaaaaaaaaaaaaaaaaaaaaa'));
    assert.equal(wrong.status(), 404);
  } finally {
    await browser.close();
  }
});

async function waitForTask(id) {
  const deadline = Date.now() + 20_000;
  while (session.tasks.find((t) => t.id === id)?.state !== 'done') {
    if (Date.now() > deadline) assert.fail(`task ${id} never got done: ${JSON.stringify(session.tasks)}`);
    session.runChecks();
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('asking for a preview of any port answers with its own URL', { timeout: 30_000 }, async () => {
  const answered = new Promise((resolve) => session.on('preview', resolve));
  session.openPreview(9000, 'node-2');
  const preview = await answered;
  assert.equal(preview.port, 9000);
  const body = await new Promise((resolve, reject) => {
    const url = new URL(preview.url);
    http
      .get({ host: '127.0.0.1', port: url.port, path: '/', headers: { host: url.host } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(text));
      })
      .on('error', reject);
  });
  assert.match(body, /Directory listing/);
});

test("in the widget, each tab names its machine and node-1's server shows in the Site preview tab", { timeout: 90_000 }, async () => {
  const blog = await startPageServer(
    {
      '/': `<!doctype html><title>Lab</title><script type="module" src="${server.url}/widget/ix-playground.js"></script>
        <ix-playground server="${server.url}" playground="lab-net" connect="eager" style="--ix-playground-height:520px"></ix-playground>`,
    },
    pagePort,
  );
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(blog.url);
    await page.waitForFunction(() => document.querySelector('ix-playground')?.status === 'ready', { timeout: 30_000 });
    const tabs = () =>
      page.evaluate(() =>
        [...document.querySelector('ix-playground').shadowRoot.querySelectorAll('[role=tab]')].map((t) => t.textContent.replace(/\s+/g, ' ').trim()),
      );
    assert.deepEqual(await tabs(), ['one node-1', 'two node-2', 'Site']);

    // In tab one (node-1): serve the home folder, whose listing shows site/.
    await page.evaluate(() => document.querySelector('ix-playground').run('cd && python3 -m http.server 8080'));
    await waitForScreen(page, /Serving HTTP on/, { timeout: 20_000 });
    await page.evaluate(() =>
      [...document.querySelector('ix-playground').shadowRoot.querySelectorAll('[role=tab]')].find((t) => t.textContent.includes('Site')).click(),
    );
    const frame = await page.waitForFrame((f) => /\.localhost:\d+\/$/.test(f.url()), { timeout: 15_000 });
    await frame.waitForFunction(() => /Directory listing/.test(document.body?.textContent ?? ''), { timeout: 15_000 });
    assert.match(await frame.evaluate(() => document.body.textContent), /site\//);
    assert.notEqual(await frame.evaluate(() => location.origin), new URL(server.url).origin);
    const selected = await page.evaluate(() =>
      document.querySelector('ix-playground').shadowRoot.querySelector('[role=tab][aria-selected=true]').textContent.trim(),
    );
    assert.equal(selected, 'Site');
  } finally {
    await browser.close();
    await blog.close();
  }
});
