import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createSession, PlaygroundError } from '@ix-playground/sdk';
import { LimitError } from '../errors.js';
import type { Manifest } from '../manifest/manifest-schema.js';
import { SessionCredentials } from '../session/session-credentials.js';
import { HttpApi, type SessionStarter } from './http-api.js';
import { OriginPolicy } from './origin-policy.js';

/** Machines that take a while: each playground says what it does as it starts, then answers. */
const starter: SessionStarter = {
  async create(manifest, _client, { progress }) {
    progress?.('a node was found for the machine');
    progress?.('downloading the image registry.example/lab:1');
    progress?.('downloading the image registry.example/lab:1'); // told once
    await new Promise((resolve) => setImmediate(resolve));
    if (manifest.name === 'full') throw new LimitError('sessions', 60, 'the cluster is full (3 sessions); try again in a minute');
    progress?.('the machine is starting');
    return { id: 's1', credentials: SessionCredentials.create('s1') };
  },
};

const manifests = new Map(['lab', 'full'].map((name) => [name, { name, title: name, tasks: [] } as unknown as Manifest]));
let server: Server;
let base: string;

before(async () => {
  const api = new HttpApi(() => manifests, starter, new OriginPolicy([]));
  server = createServer((req, res) => void api.handle(req, res, new URL(req.url ?? '/', 'http://x').pathname));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('progress while machines start', () => {
  test('the SDK hears each line of progress in order, once, then gets its session', async () => {
    const heard: string[] = [];
    const ticket = await createSession(base, 'lab', { onProgress: (line) => heard.push(line) });
    assert.equal(ticket.id, 's1');
    assert.ok(ticket.token.length > 20 && ticket.spectatorToken);
    assert.deepEqual(heard, ['a node was found for the machine', 'downloading the image registry.example/lab:1', 'the machine is starting']);
  });

  test('a refusal after progress reaches the SDK as the same typed error, limit and all', async () => {
    const heard: string[] = [];
    await assert.rejects(createSession(base, 'full', { onProgress: (line) => heard.push(line) }), (error: unknown) => {
      assert.ok(error instanceof PlaygroundError);
      assert.equal(error.code, 'limit');
      assert.match(error.message, /the cluster is full/);
      return true;
    });
    assert.equal(heard.length, 2);
  });

  test('a client that does not ask for progress gets the plain answer: 201 and JSON, or the error status', async () => {
    const made = await fetch(`${base}/api/sessions`, { method: 'POST', body: '{"playground":"lab"}' });
    assert.equal(made.status, 201);
    assert.match(made.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(((await made.json()) as { id: string }).id, 's1');
    const full = await fetch(`${base}/api/sessions`, { method: 'POST', body: '{"playground":"full"}' });
    assert.equal(full.status, 429);
    assert.equal(full.headers.get('retry-after'), '60');
  });

  test('a stream of progress is lines of JSON ending with the status and the answer', async () => {
    const res = await fetch(`${base}/api/sessions`, { method: 'POST', headers: { accept: 'application/x-ndjson' }, body: '{"playground":"lab"}' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines.slice(0, -1), [
      { progress: 'a node was found for the machine' },
      { progress: 'downloading the image registry.example/lab:1' },
      { progress: 'the machine is starting' },
    ]);
    assert.equal(lines.at(-1)?.status, 201);
    assert.equal(lines.at(-1)?.id, 's1');
  });

  test('a server that stops in the middle of the progress is a network error, not a hang', async () => {
    const cut = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"progress":"downloading the image"}\n', () => res.destroy());
    });
    await new Promise<void>((resolve) => cut.listen(0, '127.0.0.1', resolve));
    const heard: string[] = [];
    try {
      await assert.rejects(
        createSession(`http://127.0.0.1:${(cut.address() as AddressInfo).port}`, 'lab', { onProgress: (line) => heard.push(line) }),
        (error: unknown) => error instanceof PlaygroundError && error.code === 'network',
      );
      assert.deepEqual(heard, ['downloading the image']);
    } finally {
      cut.close();
    }
  });
});
