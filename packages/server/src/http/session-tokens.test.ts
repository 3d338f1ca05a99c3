import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { connect, PlaygroundError, type WebSocketConstructor } from '@ix-playground/sdk';
import { ConfigError, configFromEnv } from '../config.js';
import { startServer, type PlaygroundServer } from '../server.js';
import { RawClient, bwrapChildren, request } from '../testing/clients.js';

const playgrounds = fileURLToPath(new URL('../../../../examples/playgrounds/', import.meta.url));
const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const ISSUER = 'https://blog.example';
const AUDIENCE = 'ix-playground-test';

/** Mints a token the way docs/operating.md shows, with parts overridable to make bad ones. */
function mint(
  options: {
    secret?: string;
    issuer?: string;
    audience?: string;
    expires?: string | number;
    issuedAt?: number;
    jti?: string | null;
    playground?: string | null;
    sub?: string;
  } = {},
): Promise<string> {
  const claims: Record<string, unknown> = {};
  if (options.playground !== null) claims.playground = options.playground ?? 'hello';
  if (options.sub) claims.sub = options.sub;
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(options.issuedAt)
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setExpirationTime(options.expires ?? '2m');
  if (options.jti !== null) jwt = jwt.setJti(options.jti ?? randomUUID());
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

/** An unsigned token (`alg: none`), which must never be accepted. */
function unsigned(): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ playground: 'hello', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 60, jti: randomUUID() })}.`;
}

describe('signed session tokens', () => {
  let server: PlaygroundServer;

  before(async () => {
    const config = configFromEnv({ IX_TOKEN_SECRET: SECRET, IX_TOKEN_ISSUER: ISSUER, IX_TOKEN_AUDIENCE: AUDIENCE, IX_TOKEN_MAX_AGE: '5m' });
    server = await startServer({ ...config, port: 0, staticDir: '', playgrounds, checkIntervalMs: 0, watch: false });
  });

  after(() => server.close());

  function post(token: string | undefined, playground = 'hello') {
    return request(server.url, 'POST', '/api/sessions', {
      body: JSON.stringify({ playground }),
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
  }

  test('every bad token is refused with 401 and a reason, and starts no sandbox', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string | undefined, RegExp][] = [
      ['no token', undefined, /needs a signed session token/],
      ['not a JWT', 'hello', /not a well-formed/],
      ['expired', await mint({ issuedAt: now - 120, expires: now - 60 }), /expired/],
      ['wrong audience', await mint({ audience: 'another-server' }), /"aud"/],
      ['wrong issuer', await mint({ issuer: 'https://evil.example' }), /"iss"/],
      ['signed with another key', await mint({ secret: 'some-other-secret-that-is-long-enough-000' }), /signature/],
      ['alg none', unsigned(), /algorithm|well-formed/],
      [
        'another algorithm (ES256)',
        await new SignJWT({ playground: 'hello' })
          .setProtectedHeader({ alg: 'ES256' })
          .setIssuedAt()
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('2m')
          .setJti(randomUUID())
          .sign(privateKey),
        /algorithm/,
      ],
      ['older than the maximum age', await mint({ issuedAt: now - 3600, expires: now + 600 }), /maximum token age/],
      ['without a jti', await mint({ jti: null }), /"jti"/],
      ['without a playground', await mint({ playground: null }), /"playground"/],
    ];
    const sessions = server.sessions.size;
    const sandboxes = bwrapChildren().length;
    for (const [name, token, reason] of cases) {
      const res = await post(token);
      assert.equal(res.status, 401, `${name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'unauthorized', name);
      assert.match(res.body.error.message, reason, name);
    }
    assert.equal(server.sessions.size, sessions, 'no session was started');
    assert.equal(bwrapChildren().length, sandboxes, 'no sandbox was spawned');
  });

  test('a token starts one session of its own playground, once', async () => {
    const token = await mint({ sub: 'reader-1' });
    const other = await post(token, 'permissions');
    assert.equal(other.status, 401, 'a token for "hello" does not start "permissions"');
    assert.match(other.body.error.message, /for playground "hello"/);

    const first = await post(token);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const again = await post(token);
    assert.equal(again.status, 401);
    assert.match(again.body.error.message, /already used/);
  });

  test('the SDK fetches a fresh token for each session through a token callback', async () => {
    let minted = 0;
    const options = {
      server: server.url,
      playground: 'hello',
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      token: () => {
        minted++;
        return mint();
      },
    };
    const a = await connect(options);
    const b = await connect(options);
    try {
      assert.equal(minted, 2);
      assert.notEqual(a.id, b.id);
      assert.equal(a.status, 'ready');
      await assert.rejects(connect({ ...options, token: 'not-a-token' }), (e: unknown) => e instanceof PlaygroundError && e.code === 'unauthorized');
    } finally {
      a.close();
      b.close();
    }
  });

  test("per-client limits count a token's user, not the address", async () => {
    const limited = await startServer({
      ...configFromEnv({ IX_TOKEN_SECRET: SECRET, IX_TOKEN_ISSUER: ISSUER, IX_TOKEN_AUDIENCE: AUDIENCE }),
      port: 0,
      staticDir: '',
      playgrounds,
      checkIntervalMs: 0,
      watch: false,
      maxSessionsPerClient: 1,
    });
    try {
      const as = async (sub: string) =>
        request(limited.url, 'POST', '/api/sessions', { body: '{"playground":"hello"}', headers: { authorization: `Bearer ${await mint({ sub })}` } });
      const ann = await as('ann');
      assert.equal(ann.status, 201);
      const page = new RawClient(limited.url); // ann's playground is in use on a page
      await page.attach(ann.body.id, ann.body.token);
      await page.message('welcome');
      assert.equal((await as('bob')).status, 201, 'another user from the same address has a limit of their own');
      assert.equal((await as('ann')).status, 429, "ann's second session is over her limit");
      page.ws.terminate();
    } finally {
      await limited.close();
    }
  });
});

describe('token configuration', () => {
  test('refuses a short secret, a missing issuer or audience, both a secret and a key, and an algorithm that does not fit', () => {
    const base = { IX_TOKEN_SECRET: SECRET, IX_TOKEN_ISSUER: ISSUER, IX_TOKEN_AUDIENCE: AUDIENCE };
    assert.throws(
      () => configFromEnv({ ...base, IX_TOKEN_SECRET: 'short' }),
      (e: unknown) => e instanceof ConfigError && /at least 32 bytes/.test(e.message),
    );
    assert.throws(() => configFromEnv({ ...base, IX_TOKEN_ISSUER: '' }), /IX_TOKEN_ISSUER and IX_TOKEN_AUDIENCE/);
    assert.throws(() => configFromEnv({ ...base, IX_TOKEN_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----' }), /not both/);
    assert.throws(() => configFromEnv({ ...base, IX_TOKEN_ALG: 'none' }), /IX_TOKEN_ALG must be one of HS256/);
    assert.throws(() => configFromEnv({ IX_TOKEN_ISSUER: ISSUER }), /without IX_TOKEN_SECRET or IX_TOKEN_PUBLIC_KEY/);
    assert.equal(configFromEnv({}).tokens, undefined, 'no variables: anonymous sessions');
    assert.deepEqual(configFromEnv(base).tokens, {
      secret: SECRET,
      publicKey: undefined,
      algorithm: 'HS256',
      issuer: ISSUER,
      audience: AUDIENCE,
      maxAgeMs: 600_000,
    });
  });

  test('a public key checks tokens signed with its private key', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const config = configFromEnv({
      IX_TOKEN_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      IX_TOKEN_ALG: 'ES256',
      IX_TOKEN_ISSUER: ISSUER,
      IX_TOKEN_AUDIENCE: AUDIENCE,
    });
    const server = await startServer({ ...config, port: 0, staticDir: '', playgrounds, checkIntervalMs: 0, watch: false });
    try {
      const sign = (alg: string, key: Parameters<SignJWT['sign']>[0]) =>
        new SignJWT({ playground: 'hello' })
          .setProtectedHeader({ alg })
          .setIssuedAt()
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('1m')
          .setJti(randomUUID())
          .sign(key);
      const good = await request(server.url, 'POST', '/api/sessions', { body: '{}', headers: { authorization: `Bearer ${await sign('ES256', privateKey)}` } });
      assert.equal(good.status, 201, `the playground comes from the token when the body names none: ${JSON.stringify(good.body)}`);
      // Algorithm confusion: an HMAC token "signed" with the public key's text must not pass.
      const pem = new TextEncoder().encode(publicKey.export({ type: 'spki', format: 'pem' }).toString());
      const confused = await request(server.url, 'POST', '/api/sessions', { body: '{}', headers: { authorization: `Bearer ${await sign('HS256', pem)}` } });
      assert.equal(confused.status, 401);
    } finally {
      await server.close();
    }
  });
});
