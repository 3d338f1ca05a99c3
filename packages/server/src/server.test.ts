import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { connect, type Session as ClientSession, type TaskInfo, type WebSocketConstructor } from '@ix-playground/sdk';
import { encodeInput, encodeMessage } from '@ix-playground/sdk/protocol';
import { configFromEnv, type ServerConfig } from './config.js';
import { startServer, type PlaygroundServer } from './server.js';
import { RawClient, bwrapChildren, clients, request, waitFor } from './testing/clients.js';

const playgrounds = fileURLToPath(new URL('../../../examples/playgrounds/', import.meta.url));
const EVIL = 'https://evil.example';

const sdkSessions = new Set<ClientSession>();

describe('playground server', () => {
  let server: PlaygroundServer;
  let config: ServerConfig;

  async function newSession(): Promise<{ id: string; token: string }> {
    const res = await request(server.url, 'POST', '/api/sessions', { body: JSON.stringify({ playground: 'hello' }) });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; token: string };
  }

  async function sdk(): Promise<ClientSession> {
    const session = await connect({ server: server.url, playground: 'hello', WebSocket: WebSocket as unknown as WebSocketConstructor });
    sdkSessions.add(session);
    return session;
  }

  function collect(session: ClientSession): { text: () => string } {
    let text = '';
    session.on('output', ({ terminal, data }) => {
      if (terminal === 0) text += Buffer.from(data).toString('utf8');
    });
    return { text: () => text };
  }

  before(async () => {
    config = { ...configFromEnv({}), port: 0, staticDir: '', playgrounds, checkIntervalMs: 0, maxSessionsPerClient: 64, graceMs: 60_000 };
    server = await startServer(config);
  });

  afterEach(() => {
    for (const c of clients) c.ws.terminate();
    clients.clear();
    for (const s of sdkSessions) s.close();
    sdkSessions.clear();
  });

  after(async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([server.close(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('server.close() hung')), 10_000)))]);
    clearTimeout(timer);
    assert.deepEqual(bwrapChildren(), [], 'closing the server ends every sandbox');
  });

  test('GET /healthz answers 200 once the server is up', async () => {
    const res = await request(server.url, 'GET', '/healthz');
    assert.equal(res.status, 200);
    assert.equal(res.body.ok, true);
    assert.equal(res.body.sandbox, 'bwrap');
  });

  test('asking for a session of an unknown playground answers 404 playground-not-found', async () => {
    const before = server.sessions.size;
    const res = await request(server.url, 'POST', '/api/sessions', { body: JSON.stringify({ playground: 'no-such-lab' }) });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'playground-not-found');
    assert.match(res.body.error.message, /no-such-lab/);
    assert.equal(server.sessions.size, before);
  });

  test('a session request whose body is not JSON, or names no playground, answers 400 bad-request', async () => {
    const bad = await request(server.url, 'POST', '/api/sessions', { body: '{"playground": "hel' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'bad-request');
    assert.match(bad.body.error.message, /not valid JSON/);
    const empty = await request(server.url, 'POST', '/api/sessions', { body: '{"game": "hello"}' });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.code, 'bad-request');
  });

  test('a session request from a page on a disallowed origin gets 403 and starts no sandbox', async () => {
    const sessions = server.sessions.size;
    const sandboxes = bwrapChildren().length;
    const res = await request(server.url, 'POST', '/api/sessions', { body: JSON.stringify({ playground: 'hello' }), headers: { origin: EVIL } });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'origin');
    assert.equal(server.sessions.size, sessions);
    assert.equal(bwrapChildren().length, sandboxes);

    // Control: the server's own origin may, and gets CORS headers back.
    const own = await request(server.url, 'POST', '/api/sessions', { body: JSON.stringify({ playground: 'hello' }), headers: { origin: server.url } });
    assert.equal(own.status, 201, JSON.stringify(own.body));
    assert.equal(server.sessions.size, sessions + 1);
    await server.sessions.get(own.body.id)?.end('shutdown');
  });

  test('a WebSocket upgrade from a disallowed origin is answered 403 and spawns nothing', async () => {
    const { id, token } = await newSession();
    const sessions = server.sessions.size;
    const sandboxes = bwrapChildren().length;

    const evil = new RawClient(server.url, { origin: EVIL });
    await waitFor(() => evil.status !== undefined, 5000, 'an answer to the upgrade');
    assert.equal(evil.status, 403);
    assert.equal(server.sessions.size, sessions);
    assert.equal(bwrapChildren().length, sandboxes);
    assert.equal(server.sessions.get(id)?.clientCount, 0);

    // Control: the same upgrade from the server's own origin is accepted and can attach.
    const own = new RawClient(server.url, { origin: server.url });
    await own.attach(id, token);
    assert.equal((await own.message('welcome')).session, id);
  });

  test('a WebSocket without the ix-playground subprotocol is refused', async () => {
    const none = new RawClient(server.url, { protocols: [] });
    await waitFor(() => none.status !== undefined, 5000, 'an answer to the upgrade');
    assert.equal(none.status, 400);
    const old = new RawClient(server.url, { protocols: ['ix-playground.v0'] });
    await waitFor(() => old.status !== undefined, 5000, 'an answer to the upgrade');
    assert.equal(old.status, 400);
  });

  test('attaching with a wrong token is refused with an unauthorized error and close code 4401', async () => {
    const { id } = await newSession();
    const client = new RawClient(server.url);
    await client.attach(id, 'not-the-token');
    assert.equal((await client.closed()).code, 4401);
    assert.equal((await client.message('error')).code, 'unauthorized');
    assert.ok(!client.messages.some((m) => m.type === 'welcome'));
    assert.equal(client.output, '', 'not a byte of the terminal leaks');
  });

  test('attaching to an unknown session closes with 4404', async () => {
    const client = new RawClient(server.url);
    await client.attach('no-such-session', 'whatever');
    assert.equal((await client.closed()).code, 4404);
    assert.equal((await client.message('error')).code, 'session-not-found');
  });

  test('a malformed control message gets an error frame and close 4400, and the server keeps serving others', async () => {
    const { id, token } = await newSession();
    const good = new RawClient(server.url);
    await good.attach(id, token);
    await good.message('welcome');

    const cases: [string, string | Uint8Array, RegExp][] = [
      ['resize to 0 columns', '{"type":"resize","terminal":0,"cols":0,"rows":24}', /cols/],
      ['truncated JSON', '{"type": "attach", "session": ', /not valid JSON/],
      ['input before attach', Uint8Array.of(0x02, 0, 0, 0x41), /attach first/],
      ['unknown binary kind', Uint8Array.of(0x09, 0, 0), /attach first|kind/],
    ];
    for (const [what, frame, reason] of cases) {
      const bad = new RawClient(server.url);
      await bad.opened();
      bad.ws.send(frame);
      assert.equal((await bad.closed()).code, 4400, `close code for ${what}`);
      const error = await bad.message('error');
      assert.equal(error.code, 'protocol', what);
      assert.match(error.message, reason, what);
    }
    // A second client of the same session that misbehaves after attaching is dropped alone.
    const rude = new RawClient(server.url);
    await rude.attach(id, token);
    await rude.message('welcome');
    rude.ws.send('{"type":"ack","terminal":0,"offset":-1}');
    assert.equal((await rude.closed()).code, 4400);
    assert.match((await rude.message('error')).message, /offset/);

    // The attached client, its session and the server carry on.
    assert.equal(server.sessions.get(id)?.endReason, undefined);
    good.ws.send(encodeInput(0, 'echo alive-$((40+2))\r'));
    await waitFor(() => /alive-42\r\n/.test(good.output), 10_000, 'output for the client that behaved');
    assert.equal((await request(server.url, 'GET', '/healthz')).status, 200);
  });

  test('a command typed through the SDK runs in the sandbox and its output comes back', async () => {
    const session = await sdk();
    assert.equal(session.status, 'ready');
    assert.equal(session.playground.name, 'hello');
    const out = collect(session);
    session.write(0, 'echo $((6*7))\r');
    await waitFor(
      () => /[\r\n]42\r\n/.test(out.text()),
      10_000,
      () => `42 in the output: ${JSON.stringify(out.text().slice(-3000))}`,
    );
  });

  test('a resize through the SDK changes the width programs in the terminal see', async () => {
    const session = await sdk();
    const out = collect(session);
    session.resize(0, 123, 40);
    session.write(0, 'tput cols; tput lines\r');
    await waitFor(
      () => /[\r\n]123\r\n40\r\n/.test(out.text()),
      10_000,
      () => `123 and 40 in the output: ${JSON.stringify(out.text().slice(-3000))}`,
    );
    assert.equal(session.terminals.get(0)?.cols, 123);
  });

  test('a size beyond the protocol bounds is refused, and narrowing a wide screen with a 300,000-character line keeps pty, mirror and client in step', async () => {
    const raw = new RawClient(server.url);
    const { id, token } = await newSession();
    await raw.attach(id, token);
    await raw.message('welcome');
    raw.ws.send(encodeMessage({ type: 'resize', terminal: 0, cols: 1000, rows: 1000 }));
    assert.equal((await raw.closed()).code, 4400, 'an out-of-bounds size is a protocol error');

    const session = await connect({ server: server.url, playground: 'hello', resume: { id, token }, WebSocket: WebSocket as unknown as WebSocketConstructor });
    sdkSessions.add(session);
    const errors: string[] = [];
    session.on('error', (e) => errors.push(e.code));
    const out = collect(session);
    session.resize(0, 5000, 5000); // the SDK clamps to the bounds
    session.write(0, 'head -c 300000 /dev/zero | tr "\\0" x; echo; echo wide-$((1+1))\r');
    await waitFor(() => /wide-2\r\n/.test(out.text()), 15_000, 'the long line to be printed');
    session.resize(0, 1, 200);
    session.resize(0, 2, 200); // within the settle period: the last size wins, once the period is over
    await new Promise((r) => setTimeout(r, 250));
    session.write(0, 'stty size\r');
    await waitFor(
      () => /[\r\n]200 2\r\n/.test(out.text()),
      10_000,
      () => `the pty at 200 rows by 2 columns: ${JSON.stringify(out.text().slice(-300))}`,
    );
    const terminal = server.sessions.get(id)?.terminals.get(0);
    const snapshot = await terminal?.snapshot();
    assert.ok(snapshot && snapshot.offset > 300_000, 'the mirror still makes snapshots at the right offset');
    session.resize(0, 80, 24);
    session.write(0, 'tput cols\r');
    await waitFor(
      () => /[\r\n]80\r\n/.test(out.text()),
      10_000,
      () => `the pty back at 80 columns: ${JSON.stringify(out.text().slice(-400))}`,
    );
    assert.deepEqual(errors, [], 'no error reached the client');
    assert.equal(session.status, 'ready');
  });

  test('creating hello.txt ticks off the make-file task with a task event and progress 1/1', async () => {
    const session = await sdk();
    const tasks: TaskInfo[] = [];
    const progress: { done: number; total: number }[] = [];
    session.on('task', (t) => tasks.push(t));
    session.on('progress', (p) => progress.push(p));
    assert.deepEqual(
      session.tasks.map((t) => t.id),
      ['make-file'],
    );
    session.write(0, 'touch ~/hello.txt\r');
    await waitFor(
      () => tasks.some((t) => t.id === 'make-file' && t.state === 'done'),
      10_000,
      () => `make-file done (events: ${JSON.stringify(tasks)})`,
    );
    await waitFor(
      () => progress.some((p) => p.done === 1 && p.total === 1),
      5000,
      () => `progress 1/1 (got ${JSON.stringify(progress)})`,
    );
    assert.equal(session.tasks[0]?.state, 'done');
  });

  test('a change made without pressing Enter is picked up when the page asks for checks', async () => {
    const session = await sdk();
    const out = collect(session);
    // Wait for the first check (started with the session) to report, so it cannot see the file.
    await waitFor(() => /no ~\/hello.txt yet/.test(session.tasks[0]?.message ?? ''), 10_000, 'the first check of make-file');
    session.write(0, 'touch ~/hello.txt; echo made-$((2+3))\n'); // a line feed runs the command but is not an Enter press
    await waitFor(() => /made-5\r\n/.test(out.text()), 10_000, 'the touch to run');
    assert.equal(session.tasks[0]?.state, 'pending', 'no check ran without Enter, timer or request');
    session.runChecks();
    await waitFor(() => session.tasks[0]?.state === 'done', 10_000, 'make-file done after runChecks()');
  });

  test('typing exit ends the session for the page and removes its sandbox', async () => {
    const session = await sdk();
    const ended: string[] = [];
    session.on('ended', (reason) => ended.push(reason));
    const sessions = server.sessions.size;
    assert.ok(server.sessions.get(session.id));
    session.write(0, 'exit\r');
    await waitFor(() => session.status === 'ended', 10_000, 'the session to end');
    assert.deepEqual(ended, ['exited']);
    await waitFor(() => server.sessions.get(session.id) === undefined, 5000, 'the server to forget the session');
    assert.equal(server.sessions.size, sessions - 1);
    // A page that comes back later is told how it ended.
    const again = new RawClient(server.url);
    await again.attach(session.id, session.token);
    assert.deepEqual(await again.message('ended'), { type: 'ended', reason: 'exited' });
    assert.equal((await again.closed()).code, 4000);
  });

  describe('with the slow check timer on', () => {
    let timed: PlaygroundServer;
    before(async () => {
      timed = await startServer({ ...config, checkIntervalMs: 200 });
    });
    after(async () => {
      await timed.close();
    });

    test('a change made without pressing Enter is picked up by the periodic checks', async () => {
      const session = await connect({ server: timed.url, playground: 'hello', WebSocket: WebSocket as unknown as WebSocketConstructor });
      sdkSessions.add(session);
      session.write(0, 'touch ~/hello.txt\n');
      await waitFor(() => session.tasks[0]?.state === 'done', 10_000, 'make-file done by the timer');
    });
  });
});
