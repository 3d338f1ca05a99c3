// Gateways that can die, on the real test cluster: two `ix-playground serve` replicas behind one
// address (a small TCP balancer that sends each new connection to the first replica alive), a
// page in Chromium with a shell in a pod. Killing the replica the page is attached to, in the
// middle of 10 MB of output, leaves the page on the other one with the same shell, every line
// exactly once; its task ticks; a missing image is an error within seconds; an idle session is
// culled; nothing of the test is left in the cluster.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import WebSocket from 'ws';
import { Session } from '@ix-playground/sdk';
import { freePort, launchBrowser, startServerProcess, typeCommand, until, waitForScreen } from '../harness.mjs';
import { testImages } from './images.mjs';

const skip = (!process.env.KUBECONFIG || !process.env.IX_K8S_REGISTRY) && 'needs the test cluster: npm run test:k8s';
const namespace = 'default';
const secret = randomBytes(24).toString('base64url');
const adminToken = randomBytes(24).toString('base64url');
let dir;
let gateways = [];
/** Each replica's preview listener (a fixed port each, as behind a real balancer they share one). */
let previewPorts = [];
/** What the operator's webhook received. */
const webhookEvents = [];
let webhookReceiver;
let balancer;
let browser;
let core;

/** One address for the replicas: each new connection goes to the first one that accepts it, as a load balancer's health check would. */
function startBalancer(port, backends) {
  const server = net.createServer((client) => {
    client.pause();
    const tryBackend = (i) => {
      if (i >= backends.length) return client.destroy();
      const upstream = net.connect(backends[i], '127.0.0.1');
      // Refused (that replica is gone): the next one. Node has cleared `connecting` by then.
      upstream.once('error', () => tryBackend(i + 1));
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
        client.once('close', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      });
    };
    tryBackend(0);
  });
  // On every address: the sessions' pods reach the gateways through it too (IX_K8S_GATEWAY_URL).
  return new Promise((resolve) => server.listen(port, '0.0.0.0', () => resolve(server)));
}

/** The pods of this test's sessions still in the cluster. */
async function ourPods() {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/managed-by=ix-playground' });
  return pods.items.map((p) => p.metadata.name);
}

/** Rethrows a failed wait with what the page and the replicas said, for the CI log. */
function explained(page) {
  return async (error) => {
    const seen = await page.evaluate(() => ({ check: window.ixCheck, statuses: window.ixStatuses })).catch(() => ({}));
    const logs = gateways.map((g, i) => `replica ${i}:\n${g.log()}`).join('\n');
    throw new Error(`${error.message}\nthe page: ${JSON.stringify(seen)}\n${logs}`);
  };
}

before(async () => {
  if (skip) return;
  const config = new KubeConfig();
  config.loadFromDefault();
  core = config.makeApiClient(CoreV1Api);
  const { agent, machine } = testImages();
  dir = mkdtempSync(path.join(os.tmpdir(), 'ix-replicas-'));
  const playgrounds = path.join(dir, 'playgrounds');
  const pages = path.join(dir, 'pages');
  mkdirSync(playgrounds);
  mkdirSync(pages);
  writeFileSync(
    path.join(playgrounds, 'lab.yaml'),
    [
      'name: lab',
      'title: Lab on the cluster',
      `image: { ref: ${machine} }`,
      'limits: { time: 10m, memory: 256Mi, pids: 128 }',
      'tasks:',
      '  - { id: done, title: Make done, check: test -f ~/done }',
    ].join('\n'),
  );
  writeFileSync(
    path.join(playgrounds, 'pair.yaml'),
    [
      'name: pair',
      'title: Two machines',
      `image: { ref: ${machine} }`,
      'limits: { time: 10m, memory: 256Mi, pids: 128 }',
      'machines:',
      '  - name: web',
      '    files:',
      '      - path: serve.sh',
      '        content: |',
      // One answer per connection (socat forks one per client): read the request's head, then answer.
      `          while read -r line && [ -n "\${line%$'\\r'}" ]; do :; done`,
      "          printf 'HTTP/1.0 200 OK\\r\\nContent-Length: 14\\r\\n\\r\\nhello-preview\\n'",
      '  - name: client',
      'terminals: [{ name: web, machine: web }, { name: client, machine: client }]',
      'ports: [{ machine: web, port: 8000, title: Site }]',
    ].join('\n'),
  );
  writeFileSync(
    path.join(playgrounds, 'small.yaml'),
    ['name: small', 'title: A small disk', `image: { ref: ${machine} }`, 'limits: { time: 10m, memory: 256Mi, disk: 32Mi }'].join('\n'),
  );
  writeFileSync(
    path.join(playgrounds, 'missing.yaml'),
    `name: missing\ntitle: Missing\nimage: { ref: ${process.env.IX_K8S_REGISTRY}/ix-playground/no-such-image:1 }\n`,
  );
  const lbPort = await freePort();
  const origin = `http://127.0.0.1:${lbPort}`;
  // A page per playground the browser opens, with its element.
  for (const [file, playground] of [
    ['index.html', 'lab'],
    ['small.html', 'small'],
  ]) {
    writeFileSync(
      path.join(pages, file),
      `<!doctype html><meta charset="utf-8"><script type="module" src="/widget/ix-playground.js"></script><ix-playground server="${origin}" playground="${playground}" connect="eager"></ix-playground>`,
    );
  }
  webhookReceiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      webhookEvents.push(JSON.parse(body));
      res.writeHead(200).end();
    });
  });
  await new Promise((resolve) => webhookReceiver.listen(0, '127.0.0.1', resolve));
  const env = {
    IX_WEBHOOK_URL: `http://127.0.0.1:${webhookReceiver.address().port}/hook`,
    IX_WEBHOOK_SECRET: randomBytes(24).toString('base64url'),
    // The node's address on the pod bridge (scripts/k8s/README.md), where the balancer listens too.
    IX_K8S_GATEWAY_URL: `http://10.244.0.1:${lbPort}`,
    IX_SANDBOX: 'kubernetes',
    IX_K8S_NAMESPACE: namespace,
    IX_K8S_AGENT_IMAGE: agent,
    IX_K8S_SECRET: secret,
    IX_ADMIN_TOKEN: adminToken,
    IX_K8S_USER_NAMESPACES: '0',
    PLAYGROUNDS: playgrounds,
    IX_STATIC: pages,
    IX_ORIGINS: origin,
    IX_GRACE: '4s',
    IX_WATCH: '0',
  };
  previewPorts = [await freePort(), await freePort()];
  gateways = [
    await startServerProcess({ ...env, IX_PREVIEW_PORT: String(previewPorts[0]) }),
    await startServerProcess({ ...env, IX_PREVIEW_PORT: String(previewPorts[1]) }),
  ];
  balancer = await startBalancer(
    lbPort,
    gateways.map((g) => g.port),
  );
  browser = await launchBrowser();
});

after(async () => {
  if (skip) return;
  await browser?.close();
  balancer?.close();
  webhookReceiver?.close();
  for (const gateway of gateways) await gateway.stop();
  // The sessions' pods outlive their gateways by design: this test removes what it made.
  const left = await ourPods();
  await Promise.all(left.map((name) => core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 1 }).catch(() => {})));
  await until('the test pods to be gone', 60_000, async () => (await ourPods()).length === 0);
  rmSync(dir, { recursive: true, force: true });
});

/** The `ix-playground` command. */
const cliPath = new URL('../../packages/cli/dist/main.js', import.meta.url).pathname;

/** GET / of a preview through one replica's preview listener, as a browser asks for its host name. */
function getPreview(url, port) {
  const host = `${new URL(url).hostname}:${port}`;
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', headers: { host } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      })
      .on('error', reject);
  });
}

test('a two-machine playground: its machines reach each other by name, and the site on one is previewed through either replica', { skip }, async () => {
  const lb = `http://127.0.0.1:${balancer.address().port}`;
  const res = await fetch(`${lb}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"playground":"pair"}' });
  assert.equal(res.status, 201, await res.clone().text());
  const ticket = await res.json();
  const session = new Session({ url: `${lb.replace('http', 'ws')}/api/ws`, ...ticket, WebSocket });
  const seen = new Map();
  session.on('output', ({ terminal, data }) => seen.set(terminal, (seen.get(terminal) ?? '') + Buffer.from(data).toString('utf8')));
  await session.open();
  try {
    assert.deepEqual([...session.machines], ['web', 'client']);
    const [preview] = session.previews;
    assert.equal(preview?.machine, 'web');
    assert.equal(preview?.title, 'Site');
    const text = (terminal) => seen.get(terminal) ?? '';
    await until('both prompts', 60_000, async () => /# $/.test(text(0)) && /# $/.test(text(1)));
    // A web server on web, and client asking it by name (until it listens, bounded).
    session.write(0, 'socat TCP-LISTEN:8000,reuseaddr,fork EXEC:"bash /root/serve.sh" &\r');
    session.write(1, "for i in $(seq 1 100); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | socat -T5 - TCP:web:8000 2>/dev/null && break; sleep 0.1; done\r");
    await until("client's answer from web", 60_000, async () => text(1).includes('\nhello-preview'));
    for (const port of previewPorts) {
      const answer = await getPreview(preview.url, port);
      assert.equal(answer.status, 200, `through the preview port ${port}: ${answer.body}`);
      assert.equal(answer.body, 'hello-preview\n');
    }
    // The learner's own tools: a local port reaches the web machine's through the session's WebSocket, via the balancer.
    const local = await freePort();
    const forward = spawn(process.execPath, [cliPath, 'port-forward', ticket.id, `${local}:web:8000`, '--server', lb, '--token', ticket.token], {
      stdio: 'ignore',
    });
    try {
      let answer;
      await until(
        'the forwarded port to answer',
        30_000,
        async () => (answer = await getPreview(`http://127.0.0.1:${local}/`, local).catch(() => undefined))?.status === 200,
      );
      assert.equal(answer.body, 'hello-preview\n');
    } finally {
      forward.kill();
    }
    // A key made up, or of another port, opens nothing.
    const forged = await getPreview(
      preview.url.replace(/\/\/[a-z2-7]/, (m) => (m.endsWith('a') ? '//b' : '//a')),
      previewPorts[1],
    );
    assert.equal(forged.status, 404);
  } finally {
    session.close();
  }
});

/** The operator's CLI against one replica. */
const cli = (...args) =>
  execFileSync(process.execPath, [cliPath, ...args, '--admin-token', adminToken], {
    encoding: 'utf8',
  });

test("an operator's ls and stop through any replica see and end a session that lives in its pod", { skip }, async () => {
  const lb = `http://127.0.0.1:${balancer.address().port}`;
  const res = await fetch(`${lb}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"playground":"lab"}' });
  assert.equal(res.status, 201, await res.clone().text());
  const ticket = await res.json();
  const session = new Session({ url: `${lb.replace('http', 'ws')}/api/ws`, ...ticket, WebSocket });
  let ended;
  session.on('ended', (reason) => (ended = reason));
  await session.open();
  try {
    for (const gateway of gateways) {
      const listed = JSON.parse(cli('ls', '--json', '--server', gateway.url)).find((s) => s.id === ticket.id);
      assert.equal(listed?.playground, 'lab', `listed by ${gateway.url}`);
      assert.equal(listed.clients, 1);
      assert.deepEqual(listed.machines, ['lab']);
      assert.equal(listed.terminals, 1);
      assert.ok(listed.processes >= 2, `processes: ${listed.processes}`); // the agent and the shell, from the pod's own cgroup
      assert.ok(listed.memoryBytes > 1024 * 1024, `memory: ${listed.memoryBytes}`);
    }
    assert.match(cli('stop', ticket.id, '--server', gateways[1].url), new RegExp(`stopped ${ticket.id}`));
    await until('the page to hear that its session was stopped', 30_000, async () => ended === 'kicked');
    assert.throws(() => cli('stop', 'ffffffffffffffffffff', '--server', gateways[1].url), /no session/);
  } finally {
    session.close();
  }
});

test('killing the replica a page is attached to, during 10 MB of output, loses nothing: the same shell, every line once, its task done', { skip }, async () => {
  const page = await browser.newPage();
  await page.evaluateOnNewDocument(() => {
    window.ixStatuses = [];
    document.addEventListener('ix-status', (e) => window.ixStatuses.push(`${e.detail.status}${e.detail.reason ? ` (${e.detail.reason})` : ''}`));
    document.addEventListener('ix-error', (e) => window.ixStatuses.push(`error ${e.detail.code}: ${e.detail.message}`));
  });
  await page.goto(`http://127.0.0.1:${balancer.address().port}/`);
  await waitForScreen(page, /# $|\$ $/m, { timeout: 120_000 }).catch(explained(page));
  await typeCommand(page, 'echo pid=$$');
  const before = (await waitForScreen(page, /pid=(\d+)/)).match(/\npid=(\d+)/)?.[1];
  assert.ok(before, 'the shell said its pid');

  // Every line of the count must arrive once, in order, whatever the connection does.
  await page.evaluate(() => {
    const check = (window.ixCheck = { next: 1, bad: [], carry: '', reconnects: 0 });
    const element = document.querySelector('ix-playground');
    element.addEventListener('ix-status', (e) => e.detail.status === 'reconnecting' && check.reconnects++);
    const decoder = new TextDecoder();
    element.session.on('output', ({ data }) => {
      const lines = (check.carry + decoder.decode(data, { stream: true }).replace(/\r/g, '')).split('\n');
      check.carry = lines.pop();
      for (const line of lines) {
        if (!/^\d+$/.test(line)) continue;
        if (Number(line) === check.next) check.next++;
        else if (check.bad.length < 10) check.bad.push(`${line} where ${check.next} was due`);
      }
    });
  });
  await typeCommand(page, 'seq 1 1400000'); // about 10 MB
  await until('the count to be under way', 60_000, () => page.evaluate(() => window.ixCheck.next > 150_000));
  // The page's connection goes through the first replica alive: that one is killed, hard.
  process.kill(gateways[0].pid, 'SIGKILL');
  await until('every line, through the other replica', 180_000, () =>
    page.evaluate(() => window.ixCheck.next > 1_400_000 || window.ixCheck.bad.length > 0),
  ).catch(explained(page));
  const check = await page.evaluate(() => window.ixCheck);
  assert.deepEqual(check.bad, [], 'no line lost, none twice');
  assert.equal(check.next, 1_400_001);
  assert.ok(check.reconnects >= 1, 'the page reconnected');

  await typeCommand(page, 'echo again=$$; touch ~/done');
  const after = (await waitForScreen(page, /again=(\d+)/, { timeout: 30_000 })).match(/again=(\d+)/)?.[1];
  assert.equal(after, before, 'the same shell, on the other replica');
  await until('the task to tick', 30_000, () =>
    page.evaluate(() => document.querySelector('ix-playground').session.tasks.some((t) => t.id === 'done' && t.state === 'done')),
  );
  // Its agent relayed the task's events to a gateway, which sent them to the operator's webhook.
  const id = await page.evaluate(() => document.querySelector('ix-playground').session.id);
  await until(
    "the task's webhook events",
    30_000,
    async () =>
      webhookEvents.some((e) => e.session === id && e.type === 'task' && e.task.id === 'done' && e.task.state === 'done') &&
      webhookEvents.some((e) => e.session === id && e.type === 'complete'),
  );
  await page.close();
});

test('a playground whose image cannot be pulled is refused with that reason, not left to time out', { skip }, async () => {
  const res = await fetch(`${gateways[1].url}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"playground":"missing"}',
  });
  const body = await res.json();
  assert.equal(res.status, 503);
  assert.equal(body.error.code, 'sandbox');
  assert.match(body.error.message, /no-such-image.*cannot be started \((ErrImagePull|ImagePullBackOff)\)/);
  await until('its pod to be deleted', 30_000, async () => !(await ourPods()).some((name) => name.includes('missing')));
});

test('a session nobody is attached to is culled after the grace period, its pods deleted', { skip }, async () => {
  // Asked the way the SDK asks: the reader hears how the machine is coming along, then the answer.
  const res = await fetch(`${gateways[1].url}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, application/x-ndjson' },
    body: '{"playground":"lab"}',
  });
  const lines = (await res.text())
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const answer = lines.at(-1);
  assert.equal(answer.status ?? res.status, 201, JSON.stringify(answer));
  const told = lines.slice(0, -1).map((line) => line.progress);
  assert.ok(told.includes('a node was found for the machine'), `progress told while the pod started: ${JSON.stringify(told)}`);
  const { id } = answer;
  assert.ok(
    (await ourPods()).some((name) => name.includes(id)),
    'its pod runs',
  );
  await until('the idle session to be culled', 90_000, async () => !(await ourPods()).some((name) => name.includes(id)));
});

test('a machine the cluster evicts (its disk over the limit) ends the session, and the page says why', { skip }, async () => {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${balancer.address().port}/small.html`);
  await waitForScreen(page, /[#$] *$/m, { timeout: 120_000 }).catch(explained(page));
  // Far past its 32 MiB: the kubelet's eviction manager, not this project, stops the pod.
  await typeCommand(page, 'head -c 400M /dev/zero > ~/big; echo written');
  await until('the session to end', 180_000, () => page.evaluate(() => document.querySelector('ix-playground').getAttribute('status') === 'ended')).catch(
    explained(page),
  );
  const shown = await page.evaluate(() => document.querySelector('ix-playground').shadowRoot.querySelector('[part~=notice]')?.textContent ?? '');
  const all = await page.evaluate(() => document.querySelector('ix-playground').shadowRoot.textContent);
  assert.match(shown, /The cluster evicted the machine: .*ephemeral/i, `the element shows: ${all.replace(/\s+/g, ' ').slice(0, 600)}\n${gateways[1].log()}`);
  await page.close();
});
