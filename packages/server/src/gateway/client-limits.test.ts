// Limits that fit how people read, and errors that say what happened, on the fake driver.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { encodeMessage } from '@ix-playground/sdk/protocol';
import { ProxyTrust } from '../http/client-address.js';
import { configFromEnv, type ServerConfig } from '../config.js';
import { registerDriver } from '../sandbox/drivers.js';
import { startServer, type PlaygroundServer } from '../server.js';
import { RawClient, clients, request } from '../testing/clients.js';
import { FakeDriver } from '../testing/fake-driver.js';

let dir: string;
const servers: PlaygroundServer[] = [];

before(async () => {
  registerDriver('fake', () => new FakeDriver());
  dir = await mkdtemp(path.join(os.tmpdir(), 'ix-limits-'));
  await writeFile(path.join(dir, 'lab.yaml'), 'name: lab\ntitle: Lab\n');
  await writeFile(path.join(dir, 'other.yaml'), 'name: other\ntitle: Other\n');
});

after(async () => {
  for (const c of clients) c.ws.terminate();
  for (const s of servers) await s.close();
  await rm(dir, { recursive: true, force: true });
});

async function serve(overrides: Partial<ServerConfig> = {}): Promise<PlaygroundServer> {
  const server = await startServer({
    ...configFromEnv({ IX_SANDBOX: 'fake' }),
    port: 0,
    staticDir: '',
    playgrounds: dir,
    checkIntervalMs: 0,
    watch: false,
    ...overrides,
  });
  servers.push(server);
  return server;
}

const post = (server: PlaygroundServer, headers: Record<string, string> = {}, playground = 'lab') =>
  request(server.url, 'POST', '/api/sessions', { body: JSON.stringify({ playground }), headers });

describe('per-reader limits', () => {
  test('a reader at the limit gets a new playground by closing their oldest one that no page shows; that page is told why', async () => {
    const server = await serve({ maxSessionsPerClient: 2 });
    const a = (await post(server)).body;
    const b = (await post(server)).body;
    const c = await post(server);
    assert.equal(c.status, 201, 'a third tab still gets a playground');
    assert.equal(server.sessions.get(a.id), undefined, 'the oldest detached one made room');
    assert.ok(server.sessions.get(b.id));

    const back = new RawClient(server.url);
    await back.attach(a.id, a.token);
    assert.deepEqual(await back.message('ended'), { type: 'ended', reason: 'evicted' });
    assert.equal((await back.closed()).code, 4001);
  });

  test('when every playground of the reader is in use, a new one is refused with the limit and when to try again', async () => {
    const server = await serve({ maxSessionsPerClient: 2, graceMs: 90_000 });
    for (let i = 0; i < 2; i++) {
      const { id, token } = (await post(server)).body;
      const page = new RawClient(server.url);
      await page.attach(id, token);
      await page.message('welcome');
    }
    const refused = await post(server);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'limit');
    assert.equal(refused.body.error.limit, 'sessions-per-client');
    assert.equal(refused.body.error.retryAfter, 90);
    assert.match(refused.body.error.message, /already have 2 playgrounds open/);
  });

  test('behind a trusted proxy each reader is counted by the forwarded address; without trust the header means nothing', async () => {
    const trusting = await serve({ maxSessionsPerClient: 1, trustProxy: ['loopback'] });
    await post(trusting, { 'x-forwarded-for': '203.0.113.1' });
    await post(trusting, { 'x-forwarded-for': '203.0.113.2' });
    await post(trusting, { forwarded: 'for=203.0.113.3;proto=https' });
    assert.equal(trusting.sessions.size, 3, 'three readers, one playground each');

    const plain = await serve({ maxSessionsPerClient: 1 });
    await post(plain, { 'x-forwarded-for': '203.0.113.1' });
    await post(plain, { 'x-forwarded-for': '203.0.113.2' });
    assert.equal(plain.sessions.size, 1, 'one address: the second replaced the first');
  });
});

describe('errors a page can show', () => {
  test('an unknown playground names the ones the server has', async () => {
    const server = await serve();
    const res = await post(server, {}, 'nope');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'playground-not-found');
    assert.match(res.body.error.message, /no playground named "nope"; this server has: lab, other/);
    assert.deepEqual(res.body.error.available, ['lab', 'other']);
  });

  test('a page on an origin that is not allowed can read that it is not, and which origin to add', async () => {
    const server = await serve();
    const origin = 'https://blog.example';
    const preflight = await request(server.url, 'OPTIONS', '/api/sessions', { headers: { origin, 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 204, 'the preflight passes, so the browser shows the page the refusal');
    const res = await post(server, { origin });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'origin');
    assert.match(res.body.error.message, /must add https:\/\/blog\.example to IX_ORIGINS/);
    assert.equal(server.sessions.size, 0, 'and nothing was started');
  });

  test('a page that comes back to a session that expired is told so', async () => {
    const server = await serve({ graceMs: 1000 });
    const { id, token } = (await post(server)).body;
    await new Promise((r) => setTimeout(r, 1300));
    const back = new RawClient(server.url);
    await back.attach(id, token);
    assert.deepEqual(await back.message('ended'), { type: 'ended', reason: 'expired' });
    assert.equal((await back.closed()).code, 4003);
    back.ws.send(encodeMessage({ type: 'ping', t: 1 })); // closed: nothing more happens
  });
});

describe('ProxyTrust', () => {
  const req = (peer: string, headers: Record<string, string> = {}) => ({ socket: { remoteAddress: peer }, headers }) as never;

  test('takes the nearest untrusted hop of X-Forwarded-For or Forwarded, only from a trusted peer', () => {
    const trust = new ProxyTrust(['loopback', '10.0.0.5']);
    assert.equal(trust.clientOf(req('127.0.0.1', { 'x-forwarded-for': '198.51.100.7' })), '198.51.100.7');
    assert.equal(
      trust.clientOf(req('127.0.0.1', { 'x-forwarded-for': 'spoofed, 198.51.100.7, 10.0.0.5' })),
      '198.51.100.7',
      'the client cannot push its own entry past the proxies',
    );
    assert.equal(trust.clientOf(req('::ffff:127.0.0.1', { forwarded: 'for="[2001:db8::1]:4711", for=10.0.0.5' })), '2001:db8::1');
    assert.equal(trust.clientOf(req('127.0.0.1', { forwarded: 'for=192.0.2.60:8080;proto=http' })), '192.0.2.60');
    assert.equal(trust.clientOf(req('198.51.100.9', { 'x-forwarded-for': '1.2.3.4' })), '198.51.100.9', 'an untrusted peer is the client, whatever it says');
    assert.equal(new ProxyTrust().clientOf(req('127.0.0.1', { 'x-forwarded-for': '1.2.3.4' })), '127.0.0.1', 'nobody is trusted by default');
  });

  test('IX_TRUST_PROXY takes addresses or loopback, and refuses anything else', () => {
    assert.deepEqual(configFromEnv({}).trustProxy, []);
    assert.deepEqual(configFromEnv({ IX_TRUST_PROXY: '1' }).trustProxy, ['loopback']);
    assert.deepEqual(configFromEnv({ IX_TRUST_PROXY: '10.0.0.5, ::1' }).trustProxy, ['10.0.0.5', '::1']);
    assert.throws(() => configFromEnv({ IX_TRUST_PROXY: 'proxy.example' }), /IX_TRUST_PROXY must list proxy IP addresses/);
  });
});
