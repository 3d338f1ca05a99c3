import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { connect, type WebSocketConstructor } from '@ix-playground/sdk';
import { ConfigError, configFromEnv } from '../config.js';
import { startServer, type PlaygroundServer } from '../server.js';
import type { ManifestTask } from '../manifest/manifest-schema.js';
import type { ExecResult } from '../sandbox/sandbox.js';
import { TaskRunner } from './task-runner.js';
import { WebhookSender, sendTaskEvents, type WebhookEvent } from './webhook.js';

const SECRET = 'test-secret-0123456789';

/** The verification docs/webhooks.md shows receivers, written here independently of webhook.ts. */
function verify(secret: string, headers: IncomingHttpHeaders, rawBody: string, toleranceSeconds = 300): boolean {
  const timestamp = Number(headers['x-ix-timestamp']);
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from('sha256=' + createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex'));
  const given = Buffer.from(String(headers['x-ix-signature'] ?? ''));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A real HTTP receiver; `answer` picks the status for each request (1-based count). */
class Receiver {
  requests: { headers: IncomingHttpHeaders; body: string }[] = [];
  answer: (n: number) => number = () => 200;
  server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(this.answer(this.requests.length)).end();
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/ix`;
  }

  events(): WebhookEvent[] {
    return this.requests.map((r) => JSON.parse(r.body) as WebhookEvent);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

/** Polls `condition` until it holds or the deadline passes (then the test fails with `what`). */
async function until(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const event = (n: number): WebhookEvent => ({ type: 'task', session: 's1', playground: 'lab', progress: { done: n, total: 9 }, at: new Date().toISOString() });

describe('webhooks', () => {
  const receiver = new Receiver();
  before(() => receiver.start());
  after(() => receiver.stop());

  test('a session’s task changes and its completion reach the receiver, signed as documented', async () => {
    receiver.requests = [];
    receiver.answer = () => 200;
    const done = new Set<string>();
    const exec = async (script: string): Promise<ExecResult> => ({ code: done.has(script) ? 0 : 1, output: '', timedOut: false, durationMs: 1 });
    const tasks: ManifestTask[] = [
      { id: 'a', title: 'A', needs: [], check: 'a', timeout: 1000 },
      { id: 'b', title: 'B', needs: ['a'], check: 'b', timeout: 1000 },
    ];
    const runner = new TaskRunner(tasks, { exec, intervalMs: 0 });
    const sender = new WebhookSender({ url: receiver.url, secret: SECRET });
    // A session's task side is its runner's: tasks, progress and the same events.
    const source = {
      id: 'sess-1',
      manifest: { name: 'lab' },
      get tasks() {
        return runner.tasks;
      },
      get progress() {
        return runner.progress;
      },
      on: runner.on.bind(runner),
    };
    const unsubscribe = sendTaskEvents(sender, source);
    try {
      await runner.run({ announce: true }); // running and unchanged results are not news
      done.add('a');
      await runner.run();
      done.add('b');
      await runner.run();
      await sender.idle();

      const events = receiver.events();
      assert.deepEqual(
        events.map((e) => [e.type, e.task?.id, e.task?.state, e.progress.done, e.progress.total]),
        [
          ['task', 'a', 'done', 1, 2],
          ['task', 'b', 'pending', 1, 2],
          ['task', 'b', 'done', 2, 2],
          ['complete', undefined, undefined, 2, 2],
        ],
      );
      for (const e of events) {
        assert.equal(e.session, 'sess-1');
        assert.equal(e.playground, 'lab');
        assert.ok(Math.abs(Date.parse(e.at) - Date.now()) < 60_000, `at is a recent ISO time: ${e.at}`);
      }
      for (const { headers, body } of receiver.requests) {
        assert.equal(headers['content-type'], 'application/json');
        assert.match(String(headers['x-ix-signature']), /^sha256=[0-9a-f]{64}$/);
        assert.ok(verify(SECRET, headers, body), 'the documented verification accepts a genuine delivery');
        assert.equal(verify('another-secret', headers, body), false, 'a wrong secret is rejected');
        assert.equal(verify(SECRET, headers, body.replace('"lab"', '"lab2"')), false, 'a tampered body is rejected');
        assert.equal(verify(SECRET, headers, body, -1), false, 'a timestamp outside the tolerance is rejected');
      }
      assert.equal(new Set(receiver.requests.map((r) => r.headers['x-ix-delivery'])).size, 4, 'each event has its own delivery id');
    } finally {
      unsubscribe();
      runner.dispose();
      await sender.close();
    }
  });

  test('a receiver that answers 500 twice and then 200 still gets the event, once, with the same delivery id', async () => {
    receiver.requests = [];
    receiver.answer = (n) => (n <= 2 ? 500 : 200);
    const warnings: string[] = [];
    const sender = new WebhookSender({ url: receiver.url, secret: SECRET, baseDelayMs: 10, warn: (m) => warnings.push(m) });
    try {
      sender.send(event(1));
      await sender.idle();
      assert.equal(receiver.requests.length, 3);
      assert.equal(new Set(receiver.requests.map((r) => r.headers['x-ix-delivery'])).size, 1);
      assert.ok(
        receiver.requests.every((r) => verify(SECRET, r.headers, r.body)),
        'every retry is freshly and correctly signed',
      );
      assert.deepEqual(warnings, []);
    } finally {
      await sender.close();
    }
  });

  test('a receiver that keeps failing gets a bounded number of attempts, with growing delays, then a warning', async () => {
    receiver.requests = [];
    receiver.answer = () => 503;
    const warnings: string[] = [];
    const sender = new WebhookSender({ url: receiver.url, secret: SECRET, maxAttempts: 4, baseDelayMs: 20, warn: (m) => warnings.push(m) });
    const times: number[] = [];
    const count = () => times.push(Date.now());
    receiver.server.on('request', count);
    try {
      sender.send(event(1));
      await sender.idle();
      assert.equal(receiver.requests.length, 4);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0] ?? '', /gave up on a task event .*HTTP 503/);
      const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
      assert.ok((gaps[2] as number) >= 75, `the third gap (${gaps.join(', ')} ms) is about 4 × the base delay`);
    } finally {
      receiver.server.off('request', count);
      await sender.close();
    }
  });

  test('a 4xx answer other than 408/429 is not retried: the receiver refused the event', async () => {
    receiver.requests = [];
    receiver.answer = () => 401;
    const warnings: string[] = [];
    const sender = new WebhookSender({ url: receiver.url, secret: SECRET, baseDelayMs: 10, warn: (m) => warnings.push(m) });
    try {
      sender.send(event(1));
      await sender.idle();
      assert.equal(receiver.requests.length, 1);
      assert.match(warnings[0] ?? '', /HTTP 401/);
    } finally {
      await sender.close();
    }
  });

  test('events wait in a bounded queue: while the receiver hangs, the oldest are dropped and the rest arrive in order', async () => {
    const bodies: string[] = [];
    let release = () => undefined as void;
    const stuck = new Promise<void>((r) => (release = r));
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      await stuck;
      bodies.push(String(init.body));
      return new Response(null, { status: 204 });
    }) as unknown as typeof fetch;
    const warnings: string[] = [];
    const sender = new WebhookSender({ url: 'http://127.0.0.1:9/', secret: SECRET, maxQueue: 2, fetch: fakeFetch, warn: (m) => warnings.push(m) });
    try {
      for (let n = 1; n <= 6; n++) sender.send(event(n)); // 1 is in flight at once; 2..6 compete for 2 places
      release();
      await sender.idle();
      assert.deepEqual(
        bodies.map((b) => (JSON.parse(b) as WebhookEvent).progress.done),
        [1, 5, 6],
      );
      assert.match(warnings[0] ?? '', /dropped 1 event/);
    } finally {
      await sender.close();
    }
  });

  test('send never blocks or throws, even when the receiver is unreachable, and close stops the retries', async () => {
    const sender = new WebhookSender({ url: 'http://127.0.0.1:9/unreachable', secret: SECRET, baseDelayMs: 60_000, warn: () => undefined });
    const started = Date.now();
    for (let n = 0; n < 100; n++) sender.send(event(n));
    assert.ok(Date.now() - started < 200);
    await sender.close();
    let settled = false;
    void sender.idle().then(() => (settled = true));
    await until(() => settled, 'the sender to go idle after close');
  });
});

describe('webhooks from a running server', () => {
  const receiver = new Receiver();
  let dir = '';
  let server: PlaygroundServer | undefined;
  before(async () => {
    await receiver.start();
    dir = await mkdtemp(path.join(os.tmpdir(), 'ix-webhook-'));
    await writeFile(
      path.join(dir, 'lab.yaml'),
      ['name: lab', 'title: Lab', 'tasks:', '  - id: make-file', '    title: Create done.txt', '    check: test -f ~/done.txt', ''].join('\n'),
    );
    const config = configFromEnv({ IX_WEBHOOK_URL: receiver.url, IX_WEBHOOK_SECRET: SECRET, IX_WATCH: '0', IX_STATIC: '' });
    server = await startServer({ ...config, port: 0, playgrounds: dir, checkIntervalMs: 0 });
  });
  after(async () => {
    await server?.close();
    await receiver.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('doing the task in a real shell sends a signed task event and a complete event for that session', { timeout: 30_000 }, async () => {
    const session = await connect({ server: server!.url, playground: 'lab', WebSocket: WebSocket as unknown as WebSocketConstructor, reconnect: false });
    try {
      session.write(0, 'touch ~/done.txt\r');
      await until(() => receiver.requests.length >= 2, 'two webhook deliveries', 15_000);
      const events = receiver.events();
      assert.deepEqual(
        events.map((e) => [e.type, e.session, e.playground, e.task?.id, e.task?.state, e.progress]),
        [
          ['task', session.id, 'lab', 'make-file', 'done', { done: 1, total: 1 }],
          ['complete', session.id, 'lab', undefined, undefined, { done: 1, total: 1 }],
        ],
      );
      assert.ok(receiver.requests.every((r) => verify(SECRET, r.headers, r.body)));
    } finally {
      session.close();
    }
  });
});

describe('webhook configuration', () => {
  test('IX_WEBHOOK_URL with IX_WEBHOOK_SECRET configures webhooks; neither leaves them off', () => {
    assert.deepEqual(configFromEnv({ IX_WEBHOOK_URL: 'https://example.com/hooks', IX_WEBHOOK_SECRET: 's3cret' }).webhook, {
      url: 'https://example.com/hooks',
      secret: 's3cret',
    });
    assert.equal(configFromEnv({}).webhook, undefined);
  });

  test('a URL without a secret, a secret without a URL, or a URL that is not http(s) is refused naming the variable', () => {
    const refused = (env: NodeJS.ProcessEnv, pattern: RegExp) =>
      assert.throws(
        () => configFromEnv(env),
        (error: unknown) => error instanceof ConfigError && error.code === 'config' && pattern.test(error.message),
      );
    refused({ IX_WEBHOOK_URL: 'https://example.com/hooks' }, /IX_WEBHOOK_SECRET is not/);
    refused({ IX_WEBHOOK_SECRET: 's3cret' }, /IX_WEBHOOK_URL is not/);
    refused({ IX_WEBHOOK_URL: 'ftp://example.com/', IX_WEBHOOK_SECRET: 's' }, /IX_WEBHOOK_URL must be an http\(s\) URL/);
    refused({ IX_WEBHOOK_URL: 'example.com/hooks', IX_WEBHOOK_SECRET: 's' }, /IX_WEBHOOK_URL must be an absolute http\(s\) URL/);
  });

  test('IX_WATCH is on by default, 0 turns it off, anything else is refused', () => {
    assert.equal(configFromEnv({}).watch, true);
    assert.equal(configFromEnv({ IX_WATCH: '0' }).watch, false);
    assert.throws(() => configFromEnv({ IX_WATCH: 'no' }), /IX_WATCH must be 0 or 1/);
  });
});
