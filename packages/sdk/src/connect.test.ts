import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSession, gatewayUrl } from './connect.js';
import { PlaygroundError } from './errors.js';

function assertCode(code: string, pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof PlaygroundError, `expected a PlaygroundError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('gatewayUrl', () => {
  test('an http server URL maps to a ws URL ending in /api/ws', () => {
    assert.equal(gatewayUrl('http://localhost:8080'), 'ws://localhost:8080/api/ws');
    assert.equal(gatewayUrl('http://localhost:8080/'), 'ws://localhost:8080/api/ws');
    assert.equal(gatewayUrl('http://127.0.0.1'), 'ws://127.0.0.1/api/ws');
  });

  test('an https server URL maps to a wss URL ending in /api/ws', () => {
    assert.equal(gatewayUrl('https://play.example.com'), 'wss://play.example.com/api/ws');
    assert.equal(gatewayUrl('HTTPS://Play.Example.com:8443/'), 'wss://play.example.com:8443/api/ws');
  });

  test('a server mounted under a path keeps its path, and query and fragment are dropped', () => {
    assert.equal(gatewayUrl('https://example.com/playground/'), 'wss://example.com/playground/api/ws');
    assert.equal(gatewayUrl('http://example.com/a/b?x=1#top'), 'ws://example.com/a/b/api/ws');
  });

  test('a URL that is not http(s) is refused with code bad-request', () => {
    for (const server of ['ws://localhost:8080', 'wss://play.example.com', 'ftp://example.com', 'file:///etc/passwd', 'javascript:alert(1)']) {
      assert.throws(() => gatewayUrl(server), assertCode('bad-request', /must be an http\(s\) URL/), server);
    }
  });

  test('a string that is not an absolute URL is refused with code bad-request', () => {
    for (const server of ['', 'localhost:8080/x y', '/api', 'play.example.com']) {
      assert.throws(
        () => gatewayUrl(server),
        (error: unknown) => error instanceof PlaygroundError && error.code === 'bad-request',
        server,
      );
    }
    assert.throws(() => gatewayUrl('not a url'), assertCode('bad-request', /absolute http\(s\) URL, got "not a url"/));
  });
});

describe('createSession', () => {
  function fakeFetch(status: number, body: string, seen: { url?: string; init?: RequestInit } = {}): typeof fetch {
    return (async (url: string | URL | Request, init?: RequestInit) => {
      seen.url = String(url);
      seen.init = init;
      return new Response(body, { status, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
  }

  test('posts the playground name to /api/sessions and returns the id and token', async () => {
    const seen: { url?: string; init?: RequestInit } = {};
    const ticket = await createSession('http://localhost:8080/', 'hello', { fetch: fakeFetch(201, '{"id":"abc","token":"t0k"}', seen) });
    assert.deepEqual(ticket, { id: 'abc', token: 't0k' });
    assert.equal(seen.url, 'http://localhost:8080/api/sessions');
    assert.equal(seen.init?.method, 'POST');
    assert.deepEqual(JSON.parse(String(seen.init?.body)), { playground: 'hello' });
  });

  test("the server's error code and message reach the caller", async () => {
    const body = JSON.stringify({ error: { code: 'playground-not-found', message: 'no playground named "nope"' } });
    await assert.rejects(
      createSession('http://localhost:8080', 'nope', { fetch: fakeFetch(404, body) }),
      assertCode('playground-not-found', /no playground named "nope"/),
    );
  });

  test('a server that cannot be reached is reported with code network', async () => {
    const failing = (async () => {
      throw new TypeError('fetch failed');
    }) as unknown as typeof fetch;
    await assert.rejects(
      createSession('http://localhost:1', 'hello', { fetch: failing }),
      assertCode('network', /cannot reach the playground server at http:\/\/localhost:1/),
    );
  });

  test('an answer that is not JSON, or lacks id and token, is reported with code protocol', async () => {
    await assert.rejects(
      createSession('http://localhost:8080', 'hello', { fetch: fakeFetch(502, '<html>Bad gateway</html>') }),
      assertCode('protocol', /HTTP 502/),
    );
    await assert.rejects(
      createSession('http://localhost:8080', 'hello', { fetch: fakeFetch(201, '{"id":"abc"}') }),
      assertCode('protocol', /without a session id and token/),
    );
  });

  test('a non-http server URL is refused before anything is fetched', async () => {
    const seen: { url?: string } = {};
    await assert.rejects(
      createSession('ws://localhost:8080', 'hello', { fetch: fakeFetch(201, '{"id":"a","token":"b"}', seen) }),
      assertCode('bad-request', /http\(s\)/),
    );
    assert.equal(seen.url, undefined);
  });
});
