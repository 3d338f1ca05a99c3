// Session and gateway logic over the fake driver (testing/fake-driver.ts): no bubblewrap needed.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { connect, Session, type WebSocketConstructor } from '@ix-playground/sdk';
import { configFromEnv } from '../config.js';
import { createDriver, driverNames, registerDriver } from '../sandbox/drivers.js';
import { startServer, type PlaygroundServer } from '../server.js';
import { SandboxError } from '../errors.js';
import { FakeDriver } from '../testing/fake-driver.js';
import { request, waitFor } from '../testing/clients.js';

const WS = WebSocket as unknown as WebSocketConstructor;
const LAB = `name: lab
title: Lab
files:
  - { path: notes.txt, content: "hello notes\\n" }
init: |
  touch ~/prepared
tasks:
  - id: make-file
    title: Create hello.txt
    check: test -f ~/hello.txt
`;
const BROKEN = `name: broken
title: Broken
init: |
  echo preparing
`;

describe('sessions on a driver registered by name (the fake driver)', () => {
  const driver = new FakeDriver();
  let server: PlaygroundServer;
  let dir: string;

  before(async () => {
    registerDriver('fake', () => driver);
    dir = await mkdtemp(path.join(os.tmpdir(), 'ix-fake-'));
    await writeFile(path.join(dir, 'lab.yaml'), LAB);
    await writeFile(path.join(dir, 'broken.yaml'), BROKEN);
    server = await startServer({ ...configFromEnv({ IX_SANDBOX: 'fake' }), port: 0, staticDir: '', playgrounds: dir, checkIntervalMs: 0, watch: false });
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function learner() {
    const session = await connect({ server: server.url, playground: 'lab', WebSocket: WS });
    let text = '';
    session.on('output', ({ terminal, data }) => terminal === 0 && (text += Session.text(data)));
    const saw = (pattern: RegExp, what: string) =>
      waitFor(
        () => pattern.test(text),
        5000,
        () => `${what}: ${JSON.stringify(text.slice(-300))}`,
      );
    return { session, saw, machine: driver.machines.at(-1) };
  }

  test('IX_SANDBOX picks the driver by name; an unknown name lists the registered ones', async () => {
    assert.equal((await request(server.url, 'GET', '/healthz')).body.sandbox, 'fake');
    assert.ok(driverNames().includes('bwrap') && driverNames().includes('host') && driverNames().includes('fake'));
    assert.throws(
      () => createDriver({ ...configFromEnv({}), sandbox: 'nope' }),
      (error: Error) => {
        assert.match(error.message, /IX_SANDBOX="nope" is not a sandbox driver; use one of: /);
        for (const name of ['bwrap', 'machines', 'host', 'fake']) assert.ok(error.message.includes(name), name);
        return true;
      },
    );
  });

  test('the session seeds the files and runs the init script once, before the first shell', async () => {
    const { session, saw, machine } = await learner();
    assert.deepEqual(machine?.scripts[0], 'touch ~/prepared\n', 'init ran first');
    assert.equal(machine?.scripts.filter((s) => s.includes('prepared')).length, 1, 'and once');
    session.write(0, 'cat ~/notes.txt; cat ~/prepared; echo done\r');
    await saw(/hello notes\r\ndone\r\n/, 'the seeded file and the init script result');
    session.close();
  });

  test('a failing init script refuses the session with its output and tears the sandbox down', async () => {
    driver.failWith = { match: 'preparing', output: 'preparing\ncannot find the data\n', code: 3 };
    try {
      const res = await request(server.url, 'POST', '/api/sessions', { body: '{"playground":"broken"}' });
      assert.equal(res.status, 503);
      assert.equal(res.body.error.code, 'sandbox');
      assert.match(res.body.error.message, /init script failed \(exit 3\): preparing\ncannot find the data/);
      assert.equal(driver.machines.at(-1)?.disposed, true);
    } finally {
      driver.failWith = undefined;
    }
  });

  test('checks run on the machine: doing the task ticks it', async () => {
    const { session } = await learner();
    const states: string[] = [];
    session.on('task', (t) => states.push(t.state));
    session.write(0, 'touch ~/hello.txt\r');
    await waitFor(() => session.tasks[0]?.state === 'done', 5000, 'make-file to be done');
    assert.equal(states.at(-1), 'done');
    session.close();
  });

  test("a tab whose shell cannot start tells the page the driver's reason, and the session goes on", async () => {
    const { session, saw, machine } = await learner();
    const errors: { code: string; message: string }[] = [];
    session.on('error', (e) => errors.push({ code: e.code, message: e.message }));
    assert.ok(machine);
    machine.failShells = new SandboxError('the machine lab cannot be reached: connection refused');
    session.openTerminal('second');
    await waitFor(() => errors.length > 0, 5000, 'the error');
    assert.deepEqual(errors, [{ code: 'sandbox', message: 'the machine lab cannot be reached: connection refused' }]);
    machine.failShells = undefined;
    session.write(0, 'echo still-here\r');
    await saw(/\r\nstill-here\r\n/, 'the first shell, which goes on');
    assert.equal(session.terminals.size, 1, 'no tab was added');
    session.close();
  });

  test('a playground whose image no driver here runs is refused, naming the image and the drivers', async () => {
    await writeFile(path.join(dir, 'pulled.yaml'), 'name: pulled\ntitle: Pulled\nimage: { ref: registry.example.com/labs/docker:1 }\n');
    const other = await startServer({
      ...configFromEnv({ IX_SANDBOX: 'fake', IX_IMAGE_SANDBOX: 'fake' }),
      port: 0,
      staticDir: '',
      playgrounds: dir,
      checkIntervalMs: 0,
      watch: false,
    });
    try {
      const res = await request(other.url, 'POST', '/api/sessions', { body: '{"playground":"pulled"}' });
      assert.equal(res.status, 503);
      assert.equal(res.body.error.code, 'sandbox');
      assert.match(res.body.error.message, /playground "pulled" runs registry\.example\.com\/labs\/docker:1, which the fake driver cannot run/);
      assert.equal((await request(other.url, 'POST', '/api/sessions', { body: '{"playground":"lab"}' })).status, 201, 'the other playgrounds run');
    } finally {
      await other.close();
      await rm(path.join(dir, 'pulled.yaml'));
    }
  });

  test('a new tab is another shell on the same machine', async () => {
    const { session, saw } = await learner();
    let second = '';
    session.on('output', ({ terminal, data }) => terminal === 1 && (second += Session.text(data)));
    const opened = new Promise<number>((resolve) => session.on('terminal', ({ id }) => resolve(id)));
    session.openTerminal('second');
    assert.equal(await opened, 1);
    session.write(1, 'touch ~/from-tab-two\r');
    await waitFor(() => second.includes('fake$ touch ~/from-tab-two\r\nfake$ '), 5000, 'the second tab to run the command');
    session.write(0, 'cat ~/from-tab-two; echo seen\r');
    await saw(/cat ~\/from-tab-two; echo seen\r\nseen\r\n/, 'the file made in the other tab');
    session.close();
  });

  test('the first shell exiting ends the session and disposes its sandbox', async () => {
    const { session, machine } = await learner();
    const ended = new Promise<string>((resolve) => session.on('ended', resolve));
    session.write(0, 'echo bye; exit 0\r');
    assert.equal(await ended, 'exited');
    await waitFor(() => machine?.disposed === true, 5000, 'the sandbox to be disposed');
    assert.equal(server.sessions.get(session.id), undefined);
  });
});
