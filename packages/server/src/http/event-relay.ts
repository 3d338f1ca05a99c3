import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, PlaygroundError } from '../errors.js';
import { signWebhook, type WebhookEvent, type WebhookSender } from '../tasks/webhook.js';

/** The path agents post their sessions' task events to. */
export const RELAY_PATH = '/api/internal/events';

/** How far a relayed event's timestamp may be from this server's clock. */
const MAX_SKEW_SECONDS = 300;

/** The secret a session's agent signs its events with, derived from the gateways' shared secret. */
export function eventsSecret(secret: string, session: string): string {
  return createHmac('sha256', secret).update(`ix-events:${session}`).digest('base64url');
}

/**
 * Webhooks of sessions that live in their pods: their agents post each task event here, signed
 * as a webhook is with the session's events secret, and the gateway that gets it sends it on to the
 * operator's webhook. The webhook's own secret never enters a pod, where the learner is root.
 */
export class EventRelay {
  readonly #secret: string;
  readonly #webhooks: WebhookSender;

  constructor(secret: string, webhooks: WebhookSender) {
    this.#secret = secret;
    this.#webhooks = webhooks;
  }

  /** Takes one relayed event (`POST /api/internal/events`); throws a {@link PlaygroundError} for a refusal. */
  async handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    let event: WebhookEvent;
    try {
      event = JSON.parse(body) as WebhookEvent;
    } catch {
      throw new PlaygroundError(ErrorCode.BadRequest, 'the event is not JSON');
    }
    const timestamp = Number(req.headers['x-ix-timestamp']);
    const given = Buffer.from(String(req.headers['x-ix-signature'] ?? ''));
    const session = typeof event?.session === 'string' && /^[a-f0-9]{20}$/.test(event.session) ? event.session : undefined;
    const expected = session && Buffer.from(signWebhook(eventsSecret(this.#secret, session), timestamp, body));
    if (!expected || given.length !== expected.length || !timingSafeEqual(given, expected) || Math.abs(Date.now() / 1000 - timestamp) > MAX_SKEW_SECONDS)
      throw new PlaygroundError(ErrorCode.Unauthorized, "the event is not signed with its session's events secret");
    this.#webhooks.send(event);
    res.writeHead(204).end();
  }
}
