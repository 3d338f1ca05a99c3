// Attacks anyone on the internet can try, against a real server process under a small descriptor
// limit: floods of bare connections and upgrades, and running out of descriptors for real.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import WebSocket from 'ws';
import { connect } from '../../packages/sdk/dist/index.js';
import { startServerProcess } from '../harness.mjs';

const servers = [];
const sessions = [];
after(async () => {
  for (const s of sessions) s.close();
  for (const s of servers) await s.stop();
});

/** A learner on the SDK, from 127.0.0.1, and a way to wait for text in their terminal. */
async function learner(url) {
  const session = await connect({ server: url, playground: 'hello', WebSocket });
  sessions.push(session);
  let text = '';
  session.on('output', ({ data }) => (text += Buffer.from(data).toString('utf8')));
  const waitFor = async (pattern, what, timeout = 10_000) => {
    const deadline = Date.now() + timeout;
    while (!pattern.test(text)) {
      if (Date.now() > deadline) assert.fail(`the learner never saw ${what}: ${JSON.stringify(text.slice(-500))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await waitFor(/\$ $/, 'a prompt');
  return { session, waitFor };
}

/** Opens `count` TCP connections from 127.0.0.2 (another client address than the learner's). */
function flood(port, count, request) {
  const stats = { upgraded: 0, refused429: 0, closed: 0 };
  const sockets = [];
  for (let i = 0; i < count; i++) {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' });
    socket.on('error', () => {});
    socket.on('connect', () => request && socket.write(request));
    socket.on('data', (d) => {
      const head = d.toString('latin1', 0, 20);
      if (head.includes(' 101 ')) stats.upgraded++;
      else if (head.includes(' 429 ')) stats.refused429++;
    });
    socket.on('close', () => stats.closed++);
    sockets.push(socket);
  }
  return { stats, sockets, end: () => sockets.forEach((s) => s.destroy()) };
}

async function poll(condition, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function createSession(url) {
  return fetch(`${url}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"playground":"hello"}' });
}

test('1100 bare upgrades and 1100 silent connections under a 256-descriptor limit: the server survives and a learner keeps typing', async (t) => {
  const server = await startServerProcess({ IX_WATCH: '0', IX_ATTACH_TIMEOUT: '2s' }, { nofile: 256 });
  servers.push(server);
  const { session, waitFor } = await learner(server.url);

  const upgrade = `GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ix-playground.v1\r\n\r\n`;
  const upgrades = flood(server.port, 1100, upgrade);
  const silent = flood(server.port, 1100, undefined);
  try {
    await new Promise((r) => setTimeout(r, 1000));
    session.write(0, 'echo $((6*7))\r');
    await waitFor(/[\r\n]42\r\n/, '42 during the flood');
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'the server answers other clients');
    assert.ok(server.alive(), server.log());
    assert.ok(upgrades.stats.upgraded <= 8, `${upgrades.stats.upgraded} unattached WebSockets were accepted from one address; the cap is 8`);
    // Sockets that never attach are destroyed at the attach deadline.
    await poll(
      () => upgrades.stats.closed === 1100,
      10_000,
      () => `every upgrade socket to be closed (${JSON.stringify(upgrades.stats)})`,
    );
    t.diagnostic(`upgrade flood: ${JSON.stringify(upgrades.stats)}; silent connections closed by the server: ${silent.stats.closed}`);
  } finally {
    upgrades.end();
    silent.end();
  }
  const ended = Date.now();
  await poll(async () => (await createSession(server.url).catch(() => ({ status: 0 }))).status === 201, 10_000, 'a new session after the flood');
  t.diagnostic(`a new session could be created ${Date.now() - ended} ms after the flood ended`);
  session.write(0, 'echo after-$((40+2))\r');
  await waitFor(/after-42/, 'output after the flood');
  assert.ok(server.alive(), server.log());
});

test('when descriptors run out, a new session is refused with 503 unavailable, nobody else notices, and creation recovers', async (t) => {
  // Sessions live on unattached for ten minutes, so none gives its descriptors back by itself
  // while they are made, however slow the machine: they run out for sure. Then the operator stops
  // some, and creation works again.
  const admin = 'descriptor-test-admin-token-0123456789';
  const server = await startServerProcess(
    { IX_WATCH: '0', IX_GRACE: '10m', IX_MAX_SESSIONS: '500', IX_MAX_SESSIONS_PER_CLIENT: '500', IX_ADMIN_TOKEN: admin },
    { nofile: 100 },
  );
  servers.push(server);
  const { session, waitFor } = await learner(server.url);

  let refusal;
  const made = [];
  for (let i = 0; i < 100 && !refusal; i++) {
    const res = await createSession(server.url);
    if (res.status === 201) made.push((await res.json()).id);
    else refusal = { status: res.status, body: await res.json(), retryAfter: res.headers.get('retry-after') };
  }
  assert.ok(refusal, `100 sessions fit under 100 descriptors?`);
  t.diagnostic(`${made.length} sessions fit; then: ${JSON.stringify(refusal)}`);
  assert.equal(refusal.status, 503);
  assert.equal(refusal.body.error.code, 'unavailable');
  assert.match(refusal.body.error.message, /out of resources.*try again/);
  assert.equal(refusal.retryAfter, '5');
  assert.ok(server.alive(), server.log());

  session.write(0, 'echo still-$((6*7))\r');
  await waitFor(/still-42/, 'output while descriptors are exhausted');

  // Stopped sessions give their descriptors back.
  const exhausted = Date.now();
  for (const id of made) {
    const stop = await fetch(`${server.url}/api/admin/sessions/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    assert.equal(stop.status, 200, `stopping ${id}: ${await stop.text()}`);
  }
  await poll(async () => (await createSession(server.url)).status === 201, 60_000, 'session creation to work again');
  t.diagnostic(`creation worked again ${Date.now() - exhausted} ms after the ${made.length} sessions were stopped`);
});
