import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { PlaygroundError } from './errors.js';
import { CloseCode } from './protocol.js';
import { Session, type SessionOptions } from './session.js';
import type { SessionStatus } from './terminal-session.js';
import { fakeWebSocket, welcome, type FakeSocket } from './testing/fake-websocket.js';

const sessions: Session[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
});

/** A session on fake sockets, recording its statuses and output. */
function setup(options: Partial<SessionOptions> = {}) {
  const fake = fakeWebSocket();
  const session = new Session({
    url: 'ws://test/api/ws',
    id: 's1',
    token: 't1',
    WebSocket: fake.WebSocket,
    reconnect: { baseDelayMs: 1, maxDelayMs: 2, attempts: 3 },
    ...options,
  });
  sessions.push(session);
  const statuses: SessionStatus[] = [];
  let text = '';
  const errors: PlaygroundError[] = [];
  session.on('status', (s) => statuses.push(s));
  session.on('output', ({ terminal, data }) => {
    if (terminal === 0) text += new TextDecoder().decode(data);
  });
  session.on('error', (e) => errors.push(e));
  return { session, fake, statuses, errors, text: () => text };
}

/** Waits for the next socket the session opens (reconnects are on a timer). */
async function nextSocket(fake: ReturnType<typeof fakeWebSocket>, count: number): Promise<FakeSocket> {
  for (let i = 0; i < 200 && fake.sockets.length < count; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(fake.sockets.length, count, `socket #${count} was opened`);
  return fake.last();
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('Session', () => {
  test('open() attaches with the id, token and mode, and resolves on welcome', async () => {
    const { session, fake, statuses } = setup();
    const opened = session.open();
    const socket = fake.last();
    assert.deepEqual(socket.protocols, ['ix-playground.v1']);
    socket.accept();
    assert.deepEqual(socket.sentOf('attach'), [{ type: 'attach', session: 's1', token: 't1', mode: 'rw', resume: [] }]);
    socket.message(welcome('s1'));
    await opened;
    assert.deepEqual(statuses, ['connecting', 'ready']);
    assert.equal(session.terminals.get(0)?.name, 'main');
  });

  test('features say whether this client may save and preview, as the welcome tells', async () => {
    const { session, fake } = setup();
    assert.deepEqual(session.features, { tasks: true, resume: true, tabs: true, save: false, preview: false }, 'unknown before attaching');
    const opened = session.open();
    fake.last().accept();
    fake.last().message(welcome('s1', { save: true, preview: true }));
    await opened;
    assert.deepEqual(session.features, { tasks: true, resume: true, tabs: true, save: true, preview: true });
  });

  test('a reconnection whose handshake never answers is given up after the heartbeat period and tried again', async () => {
    const { session, fake } = setup({ heartbeatMs: 20 });
    const opened = session.open();
    fake.last().accept();
    fake.last().message(welcome('s1'));
    await opened;
    fake.last().serverClose(1006);
    // The next socket never opens (a dead proxy, a half-open path): it is given up, and another one opened.
    await nextSocket(fake, 2);
    const third = await nextSocket(fake, 3);
    assert.equal(fake.sockets[1]?.closedWith?.code, CloseCode.Timeout);
    third.accept();
    third.message(welcome('s1'));
    for (let i = 0; i < 100 && session.status !== 'ready'; i++) await tick();
    assert.equal(session.status, 'ready');
  });

  test('a first connection whose handshake never answers fails open() instead of hanging it', async () => {
    const { session } = setup({ heartbeatMs: 20, reconnect: false });
    const alive = setTimeout(() => {}, 5000); // a fake socket holds no handle: keep the test's event loop up meanwhile
    await assert.rejects(session.open(), (e: unknown) => e instanceof PlaygroundError && /stopped answering/.test(e.message));
    clearTimeout(alive);
  });

  test('close() while connecting rejects open() with "cancelled", leaves the session idle and opens nothing more', async () => {
    const { session, fake, statuses } = setup();
    const opened = session.open();
    session.close();
    await assert.rejects(opened, (e: unknown) => e instanceof PlaygroundError && e.code === 'cancelled');
    assert.equal(session.status, 'idle');
    assert.deepEqual(statuses, ['connecting', 'idle']);
    fake.last().serverClose(1006);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(fake.sockets.length, 1, 'no reconnect after close()');
  });

  test('close() after the socket opened but before welcome also settles open()', async () => {
    const { session, fake } = setup();
    const opened = session.open();
    fake.last().accept();
    session.close();
    await assert.rejects(opened, (e: unknown) => e instanceof PlaygroundError && e.code === 'cancelled');
    assert.deepEqual(fake.last().closedWith, { code: 1000, reason: 'client closed' });
  });

  test('a session closed by the page can be opened again and resumes where it was', async () => {
    const { session, fake, text } = setup();
    const first = session.open();
    fake.last().accept();
    fake.last().message(welcome('s1'));
    await first;
    fake.last().output(0, 0, 'hello ');
    session.close();
    const again = session.open();
    const socket = await nextSocket(fake, 2);
    socket.accept();
    assert.deepEqual(socket.sentOf('attach')[0]?.resume, [{ terminal: 0, offset: 6 }]);
    socket.message(welcome('s1'));
    await again;
    socket.output(0, 6, 'world');
    assert.equal(text(), 'hello world');
  });

  test('a refused attach rejects open() with the server\'s code, and an unknown code becomes "internal"', async () => {
    const { session, fake } = setup();
    const opened = session.open();
    fake.last().accept();
    fake.last().message({ type: 'error', code: 'unauthorized', message: 'wrong session token' });
    await assert.rejects(opened, (e: unknown) => e instanceof PlaygroundError && e.code === 'unauthorized');

    const other = setup();
    const second = other.session.open();
    other.fake.last().accept();
    other.fake.last().message({ type: 'error', code: 'some-future-code', message: 'new' });
    await assert.rejects(second, (e: unknown) => e instanceof PlaygroundError && e.code === 'internal');
  });

  test('a first connection that fails is reported, not retried', async () => {
    const { session, fake, statuses } = setup();
    const opened = session.open();
    fake.last().serverClose(1006);
    await assert.rejects(opened, (e: unknown) => e instanceof PlaygroundError && e.code === 'network');
    assert.deepEqual(statuses, ['connecting', 'error']);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(fake.sockets.length, 1);
  });

  test('a dropped connection reconnects with backoff and resumes every terminal from what it received, without repeating a byte', async () => {
    const { session, fake, statuses, text } = setup();
    const reconnecting: number[] = [];
    session.on('reconnecting', ({ attempt }) => reconnecting.push(attempt));
    const opened = session.open();
    fake.last().accept();
    fake.last().message(
      welcome('s1', {
        terminals: [
          { id: 0, name: 'main', cols: 80, rows: 24 },
          { id: 1, name: 'two', cols: 80, rows: 24 },
        ],
      }),
    );
    await opened;
    fake.last().output(0, 0, 'abc');
    fake.last().output(1, 0, 'xy');
    fake.last().serverClose(1006);
    assert.equal(session.status, 'reconnecting');

    const second = await nextSocket(fake, 2);
    second.accept();
    assert.deepEqual(second.sentOf('attach')[0]?.resume, [
      { terminal: 0, offset: 3 },
      { terminal: 1, offset: 2 },
    ]);
    second.message(welcome('s1'));
    second.output(0, 1, 'bcdef'); // the server replays from an older offset: overlap is dropped
    assert.equal(text(), 'abcdef');
    assert.deepEqual(reconnecting, [1]);
    assert.deepEqual(statuses, ['connecting', 'ready', 'reconnecting', 'ready']);
  });

  test('output that arrives before anyone listens waits, unacknowledged, for the first listener', async () => {
    const fake = fakeWebSocket();
    const session = new Session({ url: 'ws://test/api/ws', id: 's1', token: 't1', WebSocket: fake.WebSocket });
    sessions.push(session);
    const opened = session.open();
    fake.last().accept();
    fake.last().message(welcome('s1'));
    fake.last().output(0, 0, 'prompt$ '); // in the same tick as the welcome, as a real server sends it
    await opened;
    assert.deepEqual(fake.last().sentOf('ack'), [], 'nothing is acknowledged before it is delivered');
    const seen: string[] = [];
    session.on('output', ({ offset, data }) => seen.push(`${offset}:${new TextDecoder().decode(data)}`));
    await tick();
    fake.last().output(0, 8, 'ls');
    assert.deepEqual(seen, ['0:prompt$ ', '8:ls']);
  });

  test('output that skips bytes is a protocol error, never shown', async () => {
    const { session, fake, errors, text } = setup();
    const opened = session.open();
    fake.last().accept();
    fake.last().message(welcome('s1'));
    await opened;
    fake.last().output(0, 0, 'ab');
    fake.last().output(0, 5, 'gap');
    assert.equal(text(), 'ab');
    assert.equal(errors[0]?.code, 'protocol');
    assert.equal(fake.sockets[0]?.closedWith?.code, CloseCode.ProtocolError);
  });

  test('a snapshot moves the offset forward and is acknowledged at once', async () => {
    const { session, fake, text } = setup({ manualAck: true });
    const snapshots: number[] = [];
    session.on('snapshot', ({ offset }) => snapshots.push(offset));
    const opened = session.open();
    fake.last().accept();
    fake.last().message(welcome('s1'));
    await opened;
    fake.last().message({ type: 'snapshot', terminal: 0, offset: 5000, data: 'screen' });
    fake.last().output(0, 5000, 'after');
    assert.deepEqual(snapshots, [5000]);
    assert.equal(text(), 'after');
    assert.deepEqual(fake.last().sentOf('ack'), [{ type: 'ack', terminal: 0, offset: 5000 }]);
  });

  test('acks are batched: small ones after a short delay, 64 KiB or more at once', async () => {
    const { session, fake } = setup({ manualAck: true });
    const opened = session.open();
    const socket = fake.last();
    socket.accept();
    socket.message(welcome('s1'));
    await opened;
    socket.output(0, 0, 'x'.repeat(80 * 1024));
    session.ack(0, 100);
    session.ack(0, 200);
    assert.deepEqual(socket.sentOf('ack'), [], 'small acks wait');
    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual(socket.sentOf('ack'), [{ type: 'ack', terminal: 0, offset: 200 }], 'one batched ack');
    session.ack(0, 80 * 1024);
    assert.deepEqual(socket.sentOf('ack').at(-1), { type: 'ack', terminal: 0, offset: 80 * 1024 }, 'a big step goes out at once');
    session.ack(0, 10); // going backwards is ignored
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(socket.sentOf('ack').length, 2);
  });

  test('without manualAck, output is acknowledged as it arrives', async () => {
    const { session, fake } = setup();
    const opened = session.open();
    fake.last().accept();
    fake.last().message(welcome('s1'));
    await opened;
    fake.last().output(0, 0, 'y'.repeat(65 * 1024));
    assert.deepEqual(fake.last().sentOf('ack'), [{ type: 'ack', terminal: 0, offset: 65 * 1024 }]);
  });

  test('a final close code ends the session with its reason and does not reconnect', async () => {
    const { session, fake } = setup();
    const ended: string[] = [];
    session.on('ended', (reason) => ended.push(reason));
    const opened = session.open();
    fake.last().accept();
    fake.last().message(welcome('s1'));
    await opened;
    fake.last().serverClose(CloseCode.Expired);
    assert.equal(session.status, 'ended');
    assert.deepEqual(ended, ['expired']);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(fake.sockets.length, 1);
    await assert.rejects(session.open(), (e: unknown) => e instanceof PlaygroundError && e.code === 'ended');
  });

  test('an ended message then its close code report the end once', async () => {
    const { session, fake } = setup();
    const ended: string[] = [];
    session.on('ended', (reason) => ended.push(reason));
    const opened = session.open();
    fake.last().accept();
    fake.last().message(welcome('s1'));
    await opened;
    fake.last().message({ type: 'ended', reason: 'exited' });
    fake.last().serverClose(CloseCode.Ended);
    assert.deepEqual(ended, ['exited']);
  });

  test('attaching to a session that has ended reports why and rejects open() with "ended"', async () => {
    const { session, fake } = setup();
    const ended: string[] = [];
    session.on('ended', (reason) => ended.push(reason));
    const opened = session.open();
    fake.last().accept();
    fake.last().message({ type: 'ended', reason: 'evicted' });
    fake.last().serverClose(CloseCode.Kicked);
    await assert.rejects(opened, (e: unknown) => e instanceof PlaygroundError && e.code === 'ended' && /evicted/.test(e.message));
    assert.deepEqual(ended, ['evicted']);
    assert.equal(session.status, 'ended');
  });

  test('reconnecting gives up after the configured attempts with a network error', async () => {
    const { session, fake, statuses, errors } = setup();
    const opened = session.open();
    fake.last().accept();
    fake.last().message(welcome('s1'));
    await opened;
    for (let n = 1; n <= 4; n++) {
      const socket = await nextSocket(fake, n);
      socket.serverClose(1006);
      await tick();
    }
    assert.equal(session.status, 'error');
    assert.match(errors.at(-1)?.message ?? '', /after 3 attempts/);
    assert.deepEqual(statuses.slice(-2), ['reconnecting', 'error']);
  });

  test('a silent server is given up on by the heartbeat, and the session resumes on a new connection', async () => {
    const { session, fake } = setup({ heartbeatMs: 10 });
    const opened = session.open();
    fake.last().accept();
    fake.last().message(welcome('s1'));
    await opened;
    const second = await nextSocket(fake, 2);
    assert.equal(fake.sockets[0]?.closedWith?.code, CloseCode.Timeout);
    assert.ok(fake.sockets[0]?.sentOf('ping').length, 'it pinged before giving up');
    second.accept();
    second.message(welcome('s1'));
    await tick();
    assert.equal(session.status, 'ready');
  });

  test('a server that picks another subprotocol is refused with a version error', async () => {
    const { session, fake } = setup();
    const opened = session.open();
    fake.last().accept('ix-playground.v9');
    await assert.rejects(opened, (e: unknown) => e instanceof PlaygroundError && (e.code === 'version' || e.code === 'protocol'));
  });

  test('a spectator never sends input, and a resize beyond the bounds is clamped', async () => {
    const { session, fake, errors } = setup({ mode: 'ro' });
    const opened = session.open();
    fake.last().accept();
    fake.last().message(welcome('s1', { mode: 'ro' }));
    await opened;
    session.write(0, 'rm -rf ~\r');
    assert.equal(fake.last().binary.length, 0);
    assert.equal(errors[0]?.code, 'read-only');
    session.resize(0, 9999, 0);
    assert.deepEqual(fake.last().sentOf('resize'), [{ type: 'resize', terminal: 0, cols: 500, rows: 1 }]);
  });
});
