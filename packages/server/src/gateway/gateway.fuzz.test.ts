import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import WebSocket from 'ws';
import { connect, Session, type WebSocketConstructor } from '@ix-playground/sdk';
import { FrameKind, MAX_COLS, MAX_ROWS, PROTOCOL, decodeServerMessage, encodeMessage } from '@ix-playground/sdk/protocol';
import { configFromEnv } from '../config.js';
import { startServer, type PlaygroundServer } from '../server.js';
import { request, waitFor } from '../testing/clients.js';

const playgrounds = fileURLToPath(new URL('../../../../examples/playgrounds/', import.meta.url));
const TYPES = ['attach', 'resize', 'ack', 'open', 'run-checks', 'ping', 'pong', 'input', 'welcome', 'error'];

/** One frame a client might send: anything from line noise to almost-valid messages. */
function frames(victim: { id: string; token: string }): fc.Arbitrary<string | Uint8Array> {
  const u16 = fc.integer({ min: 0, max: 0xffff });
  const anyValue = fc.oneof(fc.anything(), fc.integer(), fc.double(), fc.string(), fc.constant(null), fc.constant(-1), fc.constant(2 ** 53));
  return fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc
      .tuple(fc.constantFrom(FrameKind.Input, FrameKind.Output, 0x00, 0xff), u16, fc.uint8Array({ maxLength: 200 }))
      .map(([kind, terminal, data]) => Uint8Array.from([kind, terminal >> 8, terminal & 0xff, ...data])),
    fc.string({ maxLength: 300 }),
    fc.json({ maxDepth: 3 }),
    fc
      .record(
        { type: fc.constantFrom(...TYPES), terminal: anyValue, cols: anyValue, rows: anyValue, offset: anyValue, name: anyValue, t: anyValue, mode: anyValue },
        { requiredKeys: ['type'] },
      )
      .map((m) => JSON.stringify(m)),
    fc
      .record({ terminal: fc.integer({ min: 0, max: 9 }), cols: fc.integer({ min: 1, max: MAX_COLS }), rows: fc.integer({ min: 1, max: MAX_ROWS }) })
      .map((r) => encodeMessage({ type: 'resize', ...r })),
    fc.record({ terminal: fc.integer({ min: 0, max: 9 }), offset: fc.integer({ min: 0, max: 2 ** 40 }) }).map((r) => encodeMessage({ type: 'ack', ...r })),
    fc.constantFrom(encodeMessage({ type: 'run-checks' }), encodeMessage({ type: 'open' }), encodeMessage({ type: 'ping', t: 1 })),
    fc.constant(encodeMessage({ type: 'attach', session: victim.id, token: victim.token, mode: 'ro' })),
  );
}

let server: PlaygroundServer;

before(async () => {
  server = await startServer({
    ...configFromEnv({}),
    port: 0,
    staticDir: '',
    playgrounds,
    checkIntervalMs: 0,
    watch: false,
    maxSessionsPerClient: 8,
    maxUnattachedPerClient: 64,
    messageRate: 100_000,
  });
});

after(() => server.close());

test(
  'tens of thousands of fuzzed frames never crash the server, never make it fail internally, and a learner keeps typing',
  { timeout: 180_000 },
  async (t) => {
    const WS = WebSocket as unknown as WebSocketConstructor;
    const learner = await connect({ server: server.url, playground: 'hello', WebSocket: WS });
    let text = '';
    learner.on('output', ({ terminal, data }) => terminal === 0 && (text += Session.text(data)));
    const victim = (await request(server.url, 'POST', '/api/sessions', { body: '{"playground":"hello"}' })).body as { id: string; token: string };

    let sent = 0;
    const internal: string[] = [];
    const rssBefore = process.memoryUsage().rss;
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(frames(victim), { minLength: 1, maxLength: 60 }), async (attachFirst, batch) => {
        const ws = new WebSocket(server.url.replace('http', 'ws') + '/api/ws', [PROTOCOL]);
        ws.on('error', () => {});
        ws.on('message', (data, binary) => {
          if (binary) return;
          const message = decodeServerMessage(data.toString());
          if (message.type === 'error' && message.code === 'internal') internal.push(message.message);
        });
        const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
        await new Promise<void>((resolve) => {
          ws.once('open', () => resolve());
          ws.once('close', () => resolve());
        });
        if (ws.readyState === WebSocket.OPEN) {
          if (attachFirst) ws.send(encodeMessage({ type: 'attach', session: victim.id, token: victim.token }));
          for (const frame of batch) {
            if (ws.readyState !== WebSocket.OPEN) break;
            ws.send(frame, { binary: typeof frame !== 'string' });
            sent++;
          }
        }
        await Promise.race([closed, new Promise((r) => setTimeout(r, 5))]);
        ws.terminate();
        await closed;
      }),
      { numRuns: 4000, interruptAfterTimeLimit: 90_000 },
    );
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    t.diagnostic(`${sent} fuzzed frames; the test process (server included) grew by ${Math.round(rssGrowth / 2 ** 20)} MiB`);
    assert.ok(sent >= 20_000, `only ${sent} frames were sent`);
    assert.deepEqual(internal, [], 'no frame made the server fail internally');
    assert.equal((await request(server.url, 'GET', '/healthz')).status, 200);
    assert.ok(rssGrowth < 200 * 2 ** 20, `memory grew by ${Math.round(rssGrowth / 2 ** 20)} MiB`);

    learner.write(0, 'echo fuzz-$((6*7))\r');
    await waitFor(() => /fuzz-42\r\n/.test(text), 10_000, 'the learner to get an answer after the fuzzing');
    learner.close();
  },
);
