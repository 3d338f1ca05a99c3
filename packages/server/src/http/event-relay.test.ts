import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { signWebhook, WebhookSender, type WebhookEvent } from '../tasks/webhook.js';
import { EventRelay, RELAY_PATH, eventsSecret } from './event-relay.js';
import { HttpApi } from './http-api.js';
import { OriginPolicy } from './origin-policy.js';

const CLUSTER_SECRET = 'the-gateways-shared-secret-0123456789';
const WEBHOOK_SECRET = 'the-operators-webhook-secret-0123456789';
const session = '0123456789abcdef0123';
const event: WebhookEvent = { type: 'complete', session, playground: 'lab', progress: { done: 1, total: 1 }, at: new Date().toISOString() };

/** The operator's webhook receiver: what it got, with the signature it checked. */
const received: { event: WebhookEvent; signed: boolean }[] = [];
let receiver: Server;
let gateway: Server;
let relayUrl: string;
let webhooks: WebhookSender;

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

before(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const signed = req.headers['x-ix-signature'] === signWebhook(WEBHOOK_SECRET, Number(req.headers['x-ix-timestamp']), body);
      received.push({ event: JSON.parse(body) as WebhookEvent, signed });
      res.writeHead(200).end();
    });
  });
  webhooks = new WebhookSender({ url: await listen(receiver), secret: WEBHOOK_SECRET, baseDelayMs: 10 });
  const api = new HttpApi(() => new Map(), { create: () => Promise.reject(new Error('unused')) }, new OriginPolicy([]), {
    relay: new EventRelay(CLUSTER_SECRET, webhooks),
  });
  gateway = createServer((req, res) => void api.handle(req, res, new URL(req.url ?? '/', 'http://x').pathname));
  relayUrl = (await listen(gateway)) + RELAY_PATH;
});

after(async () => {
  await webhooks.close(1000);
  gateway.close();
  receiver.close();
});

describe('task events of cluster sessions, relayed by a gateway to the webhook', () => {
  test("an event its agent signed reaches the operator's webhook, signed with the webhook's own secret", async () => {
    const agent = new WebhookSender({ url: relayUrl, secret: eventsSecret(CLUSTER_SECRET, session) });
    agent.send(event);
    await agent.close(5000);
    await webhooks.close(5000);
    assert.equal(received.length, 1);
    assert.deepEqual(received[0], { event, signed: true });
  });

  test("an event signed with another session's secret, or unsigned, is refused and goes nowhere", async () => {
    const body = JSON.stringify(event);
    const t = Math.floor(Date.now() / 1000);
    for (const signature of [signWebhook(eventsSecret(CLUSTER_SECRET, 'ffffffffffffffffffff'), t, body), signWebhook(WEBHOOK_SECRET, t, body), '']) {
      const res = await fetch(relayUrl, { method: 'POST', headers: { 'x-ix-timestamp': String(t), 'x-ix-signature': signature }, body });
      assert.equal(res.status, 401);
    }
    const stale = t - 3600;
    const res = await fetch(relayUrl, {
      method: 'POST',
      headers: { 'x-ix-timestamp': String(stale), 'x-ix-signature': signWebhook(eventsSecret(CLUSTER_SECRET, session), stale, body) },
      body,
    });
    assert.equal(res.status, 401, 'an old event is not taken again');
    assert.equal(received.length, 1);
  });
});
