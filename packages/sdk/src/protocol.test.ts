import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CloseCode,
  FrameKind,
  INPUT_HEADER_BYTES,
  MAX_COLS,
  MAX_FRAME_BYTES,
  MAX_ROWS,
  OUTPUT_HEADER_BYTES,
  PlaygroundError,
  closeError,
  decodeClientMessage,
  decodeInput,
  decodeOutput,
  decodeServerMessage,
  encodeInput,
  encodeMessage,
  encodeOutput,
  type ClientMessage,
  type ServerMessage,
} from './protocol.js';

/** Asserts that `fn` throws a PlaygroundError with code `protocol` whose message matches `pattern`. */
function assertProtocolError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof PlaygroundError, `expected a PlaygroundError, got ${String(error)}`);
    assert.equal(error.code, 'protocol');
    assert.match(error.message, pattern);
    return true;
  });
}

/** Every byte value, so no value is mangled on the way (no UTF-8 round trip, no sign bugs). */
const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);

describe('binary frames', () => {
  test('output frames round-trip the terminal id, the offset and every payload byte', () => {
    for (const [terminal, offset] of [
      [0, 0],
      [1, 12_345],
      [0xffff, 2 ** 32 - 1],
      [7, 2 ** 32],
      [3, 2 ** 32 + 5],
      [42, 2 ** 40 + 123_456_789],
      [9, Number.MAX_SAFE_INTEGER],
    ] as const) {
      const frame = encodeOutput(terminal, offset, allBytes);
      assert.equal(frame.byteLength, OUTPUT_HEADER_BYTES + allBytes.byteLength);
      assert.equal(frame[0], FrameKind.Output);
      const decoded = decodeOutput(frame);
      assert.equal(decoded.terminal, terminal);
      assert.equal(decoded.offset, offset, `offset ${offset} must survive the round trip`);
      assert.deepEqual([...decoded.data], [...allBytes]);
    }
  });

  test('an output frame may carry no payload at all', () => {
    const decoded = decodeOutput(encodeOutput(2, 2 ** 33, new Uint8Array(0)));
    assert.equal(decoded.terminal, 2);
    assert.equal(decoded.offset, 2 ** 33);
    assert.equal(decoded.data.byteLength, 0);
  });

  test('an output frame decodes correctly from a view into a larger buffer', () => {
    // ws hands out Buffers that are views into a shared pool: the codec must honour byteOffset.
    const frame = encodeOutput(5, 2 ** 32 + 77, Uint8Array.of(1, 2, 3));
    const pool = new Uint8Array(frame.byteLength + 20).fill(0xee);
    pool.set(frame, 13);
    const decoded = decodeOutput(pool.subarray(13, 13 + frame.byteLength));
    assert.equal(decoded.terminal, 5);
    assert.equal(decoded.offset, 2 ** 32 + 77);
    assert.deepEqual([...decoded.data], [1, 2, 3]);
  });

  test('input frames round-trip the terminal id and payload bytes, and strings travel as UTF-8', () => {
    const bytes = decodeInput(encodeInput(0xffff, allBytes));
    assert.equal(bytes.terminal, 0xffff);
    assert.deepEqual([...bytes.data], [...allBytes]);

    const text = 'ls -l ~ ✓ ünïcödé\r';
    const frame = encodeInput(3, text);
    assert.equal(frame[0], FrameKind.Input);
    const decoded = decodeInput(frame);
    assert.equal(decoded.terminal, 3);
    assert.equal(new TextDecoder().decode(decoded.data), text);
    assert.equal(frame.byteLength, INPUT_HEADER_BYTES + new TextEncoder().encode(text).byteLength);
  });

  test('a binary frame shorter than its header is rejected as a protocol error', () => {
    assertProtocolError(() => decodeOutput(new Uint8Array(0)), /shorter than its 11-byte header/);
    assertProtocolError(() => decodeOutput(Uint8Array.of(FrameKind.Output, 0, 1, 0, 0)), /5 bytes is shorter than its 11-byte header/);
    assertProtocolError(() => decodeInput(Uint8Array.of(FrameKind.Input, 0)), /2 bytes is shorter than its 3-byte header/);
  });

  test('a binary frame of the wrong kind is rejected as a protocol error', () => {
    assertProtocolError(() => decodeOutput(encodeInput(0, 'hello world!')), /unexpected binary frame kind 0x2/);
    assertProtocolError(() => decodeInput(encodeOutput(0, 0, Uint8Array.of(1))), /unexpected binary frame kind 0x1/);
    assertProtocolError(() => decodeInput(Uint8Array.of(0x7f, 0, 0, 1)), /unexpected binary frame kind 0x7f/);
  });

  test('a binary frame larger than the frame limit is rejected as a protocol error', () => {
    const atLimit = encodeInput(0, new Uint8Array(MAX_FRAME_BYTES - INPUT_HEADER_BYTES));
    assert.equal(decodeInput(atLimit).data.byteLength, MAX_FRAME_BYTES - INPUT_HEADER_BYTES);
    const over = encodeInput(0, new Uint8Array(MAX_FRAME_BYTES - INPUT_HEADER_BYTES + 1));
    assertProtocolError(() => decodeInput(over), new RegExp(`${MAX_FRAME_BYTES + 1} bytes exceeds ${MAX_FRAME_BYTES}`));
    const bigOutput = encodeOutput(0, 0, new Uint8Array(MAX_FRAME_BYTES));
    assertProtocolError(() => decodeOutput(bigOutput), /exceeds/);
  });

  test('an output offset beyond what a JavaScript number holds exactly is rejected', () => {
    const frame = encodeOutput(0, 0, Uint8Array.of(1));
    new DataView(frame.buffer).setUint32(3, 0xffffffff);
    assertProtocolError(() => decodeOutput(frame), /offset out of range/);
  });
});

describe('control messages', () => {
  test('every client message round-trips unchanged', () => {
    const messages: ClientMessage[] = [
      {
        type: 'attach',
        session: 'abc123',
        token: 's3cret',
        mode: 'ro',
        resume: [
          { terminal: 0, offset: 2 ** 32 + 9 },
          { terminal: 2, offset: 0 },
        ],
      },
      { type: 'attach', session: 'abc123', token: 's3cret' },
      { type: 'resize', terminal: 1, cols: MAX_COLS, rows: MAX_ROWS },
      { type: 'ack', terminal: 0, offset: Number.MAX_SAFE_INTEGER },
      { type: 'open', name: 'logs' },
      { type: 'open' },
      { type: 'run-checks' },
      { type: 'ping', t: 1234.5 },
      { type: 'pong', t: 0 },
    ];
    for (const message of messages) assert.deepEqual(decodeClientMessage(encodeMessage(message)), message);
  });

  test('every server message round-trips unchanged', () => {
    const task = {
      id: 'make-file',
      title: 'Make a file',
      hint: 'Use touch',
      needs: ['a'],
      state: 'pending',
      message: 'not yet',
      exitCode: 1,
      durationMs: 12,
    } as const;
    const messages: ServerMessage[] = [
      {
        type: 'welcome',
        protocol: 'ix-playground.v1',
        session: 'abc',
        mode: 'rw',
        playground: { name: 'hello', title: 'Hello, shell' },
        terminals: [{ id: 0, name: 'main', cols: 80, rows: 24 }],
        tasks: [
          { ...task, needs: [...task.needs] },
          { id: 'b', title: 'B', needs: [], state: 'blocked', exitCode: null },
        ],
      },
      { type: 'terminal', terminal: { id: 1, name: 'logs', cols: 100, rows: 30 } },
      { type: 'snapshot', terminal: 0, offset: 2 ** 32 + 1, data: '\u001b[2Jhello' },
      { type: 'exit', terminal: 0, code: null },
      { type: 'exit', terminal: 1, code: 3 },
      { type: 'task', task: { ...task, needs: [...task.needs], state: 'done' } },
      { type: 'tasks', tasks: [] },
      { type: 'progress', done: 1, total: 2 },
      { type: 'ended', reason: 'expired' },
      { type: 'error', code: 'protocol', message: 'bad frame' },
      { type: 'ping', t: 1 },
      { type: 'pong', t: 2 },
    ];
    for (const message of messages) assert.deepEqual(decodeServerMessage(encodeMessage(message)), message);
  });

  test('a control message that is not JSON is rejected as a protocol error', () => {
    assertProtocolError(() => decodeClientMessage('{"type": "ping", t: 1'), /not valid JSON/);
    assertProtocolError(() => decodeServerMessage(''), /not valid JSON/);
  });

  test('a control message with an unknown type is rejected, naming the type field', () => {
    assertProtocolError(() => decodeClientMessage('{"type":"rm-rf"}'), /invalid control message: type: .*"rm-rf"/);
    assertProtocolError(() => decodeClientMessage('{"cols":80}'), /invalid control message: type:/);
    // A server-only message is not a valid client message.
    assertProtocolError(() => decodeClientMessage(encodeMessage({ type: 'progress', done: 1, total: 1 })), /type:/);
  });

  test('a resize to 0 or 5000 columns is rejected, naming the cols field', () => {
    assertProtocolError(() => decodeClientMessage('{"type":"resize","terminal":0,"cols":0,"rows":24}'), /invalid control message: cols: .*0/);
    assertProtocolError(() => decodeClientMessage('{"type":"resize","terminal":0,"cols":5000,"rows":24}'), /invalid control message: cols: .*5000/);
    assertProtocolError(() => decodeClientMessage('{"type":"resize","terminal":0,"cols":80.5,"rows":24}'), /cols:/);
    assertProtocolError(() => decodeClientMessage('{"type":"resize","terminal":0,"cols":80,"rows":0}'), /invalid control message: rows:/);
    assertProtocolError(() => decodeClientMessage(`{"type":"resize","terminal":0,"cols":${MAX_COLS + 1},"rows":24}`), /invalid control message: cols:/);
    assertProtocolError(() => decodeClientMessage(`{"type":"resize","terminal":0,"cols":80,"rows":${MAX_ROWS + 1}}`), /invalid control message: rows:/);
    assertProtocolError(() => decodeClientMessage('{"type":"resize","terminal":70000,"cols":80,"rows":24}'), /invalid control message: terminal:/);
  });

  test('a negative offset is rejected, naming the offset field', () => {
    assertProtocolError(() => decodeClientMessage('{"type":"ack","terminal":0,"offset":-1}'), /invalid control message: offset: .*-1/);
    assertProtocolError(
      () => decodeClientMessage('{"type":"attach","session":"s","token":"t","resume":[{"terminal":0,"offset":-5}]}'),
      /invalid control message: resume\.0\.offset:/,
    );
  });

  test('an attach without a token is rejected, naming the token field', () => {
    assertProtocolError(() => decodeClientMessage('{"type":"attach","session":"abc"}'), /invalid control message: token:/);
    assertProtocolError(() => decodeClientMessage('{"type":"attach","session":"abc","token":42}'), /invalid control message: token:/);
  });

  test('a JSON value that is not an object is rejected as a protocol error', () => {
    assertProtocolError(() => decodeClientMessage('null'), /invalid control message/);
    assertProtocolError(() => decodeClientMessage('[1,2]'), /invalid control message/);
    assertProtocolError(() => decodeServerMessage('"welcome"'), /invalid control message/);
  });

  test('a control message larger than the frame limit is rejected before parsing', () => {
    const huge = JSON.stringify({ type: 'ping', t: 1, pad: 'x'.repeat(MAX_FRAME_BYTES) });
    assertProtocolError(() => decodeClientMessage(huge), /exceeds/);
  });
});

describe('close codes', () => {
  test('a normal close or a shell that exited is no error; every other close says why, with the code a program switches on', () => {
    const url = 'ws://test/api/ws';
    assert.equal(closeError(1000, '', url), undefined);
    assert.equal(closeError(CloseCode.Ended, 'exited', url), undefined);
    const cases: [number, string, RegExp][] = [
      [CloseCode.Unauthorized, 'unauthorized', /refused the session token: bad token$/],
      [CloseCode.NotFound, 'session-not-found', /no longer exists: bad token$/],
      [CloseCode.ProtocolError, 'protocol', /^protocol error: bad token$/],
      [CloseCode.Limit, 'limit', /limit was exceeded: bad token$/],
      [CloseCode.Expired, 'ended', /^the session ended: bad token$/],
      [CloseCode.Shutdown, 'ended', /^the session ended/],
      [CloseCode.Kicked, 'ended', /^the session ended/],
      [CloseCode.Lagging, 'network', /\(code 4503\): bad token$/],
    ];
    for (const [code, errorCode, message] of cases) {
      const error = closeError(code, 'bad token', url);
      assert.ok(error instanceof PlaygroundError, `close ${code} is an error`);
      assert.equal(error.code, errorCode, `close ${code}`);
      assert.match(error.message, message);
    }
    assert.match(closeError(1006, '', url)?.message ?? '', /connection to ws:\/\/test\/api\/ws failed or was refused/);
  });
});
