import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { PlaygroundError } from './errors.js';
import { fakeWebSocket } from './testing/fake-websocket.js';
import { TtydSession, type TtydSessionOptions } from './ttyd-session.js';

const sessions: TtydSession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
});

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);
const frame = (command: string, payload: string) => new TextEncoder().encode(command + payload);

function setup(options: Partial<TtydSessionOptions> = {}) {
  const fake = fakeWebSocket();
  const session = new TtydSession({ url: 'ws://ttyd.test:7681/ws', WebSocket: fake.WebSocket, cols: 100, rows: 30, ...options });
  sessions.push(session);
  let output = '';
  session.on('output', ({ data }) => (output += text(data)));
  return { session, fake, output: () => output };
}

describe('TtydSession (the framing of a stock ttyd)', () => {
  test('asks for the "tty" subprotocol and says hello with AuthToken, columns and rows, as one binary frame', async () => {
    const { session, fake } = setup({ token: 'dXNlcjpwYXNz' });
    const opened = session.open();
    const socket = fake.last();
    assert.deepEqual(socket.protocols, ['tty']);
    socket.accept('tty');
    assert.equal(socket.sent.length, 0, 'no text frames: ttyd reads binary ones');
    assert.equal(text(socket.binary[0]), '{"AuthToken":"dXNlcjpwYXNz","columns":100,"rows":30}');
    socket.bytes(frame('1', 'bash (lab)'));
    await opened;
    assert.equal(session.status, 'ready');
    assert.equal(session.terminals.get(0)?.name, 'bash (lab)', 'the window title names the terminal');
  });

  test('output is the bytes after command 0, counted from offset 0; input and resize use commands 0 and 1', async () => {
    const { session, fake, output } = setup();
    const offsets: number[] = [];
    session.on('output', ({ offset }) => offsets.push(offset));
    const opened = session.open();
    const socket = fake.last();
    socket.accept('tty');
    socket.bytes(frame('1', 'bash'));
    socket.bytes(frame('2', '{"fontSize":18}'));
    socket.bytes(frame('0', 'hello '));
    socket.bytes(frame('0', 'world'));
    await opened;
    assert.equal(output(), 'hello world');
    assert.deepEqual(offsets, [0, 6]);
    session.write(0, 'ls\r');
    session.resize(0, 132, 43);
    assert.deepEqual(socket.binary.slice(1).map(text), ['0ls\r', '1{"columns":132,"rows":43}']);
  });

  test('flow control: past 256 KiB unrendered it sends pause (2); rendering brings resume (3)', async () => {
    const { session, fake } = setup({ manualAck: true });
    const opened = session.open();
    const socket = fake.last();
    socket.accept('tty');
    socket.bytes(frame('1', 'bash'));
    await opened;
    const chunk = 'y\n'.repeat(32 * 1024); // 64 KiB
    for (let i = 0; i < 5; i++) socket.bytes(frame('0', chunk));
    assert.deepEqual(socket.binary.slice(1).map(text), ['2'], 'one pause at the high-water mark');
    session.ack(0, 200 * 1024);
    assert.deepEqual(socket.binary.slice(1).map(text), ['2'], 'still 120 KiB behind: stays paused');
    session.ack(0, 300 * 1024);
    assert.deepEqual(socket.binary.slice(1).map(text), ['2', '3'], 'under 64 KiB behind: resumed');
  });

  test('ttyd closing normally after the shell exits ends the session; a lost connection is an error that says ttyd cannot resume', async () => {
    const a = setup();
    const ended: string[] = [];
    a.session.on('ended', (reason) => ended.push(reason));
    const opened = a.session.open();
    a.fake.last().accept('tty');
    a.fake.last().bytes(frame('1', 'bash'));
    await opened;
    a.fake.last().serverClose(1000);
    assert.deepEqual(ended, ['exited']);
    assert.equal(a.session.status, 'ended');

    const b = setup();
    const errors: PlaygroundError[] = [];
    b.session.on('error', (e) => errors.push(e));
    const second = b.session.open();
    b.fake.last().accept('tty');
    b.fake.last().bytes(frame('1', 'bash'));
    await second;
    b.fake.last().serverClose(1006);
    assert.equal(b.session.status, 'error');
    assert.match(errors[0]?.message ?? '', /cannot resume/);
  });

  test('a refused connection (wrong token: ttyd closes with 1008) rejects open()', async () => {
    const { session, fake } = setup({ token: 'wrong' });
    const opened = session.open();
    fake.last().accept('tty');
    fake.last().serverClose(1008);
    await assert.rejects(opened, (e: unknown) => e instanceof PlaygroundError && e.code === 'network' && /cannot connect to ttyd/.test(e.message));
  });

  test('has one terminal, no tasks and no resume, and says so', async () => {
    const { session } = setup();
    const errors: string[] = [];
    session.on('error', (e) => errors.push(e.code));
    assert.deepEqual(session.features, { tasks: false, resume: false, tabs: false, save: false, preview: false });
    session.openTerminal();
    assert.deepEqual(errors, ['limit']);
    assert.deepEqual(session.tasks, []);
  });
});
