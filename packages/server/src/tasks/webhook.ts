import { createHmac, randomUUID } from 'node:crypto';
import type { TaskInfo, TaskState } from '@ix-playground/sdk/protocol';
import { DisposableStore } from '@ix-playground/sdk/disposable';
import type { TaskRunnerEvents } from './task-runner.js';

/** The JSON body of a webhook POST (docs/webhooks.md). */
export interface WebhookEvent {
  /** `task`: a task changed state; `complete`: every task of the session is done. */
  type: 'task' | 'complete';
  /** Session id (the one `POST /api/sessions` returned to the page). */
  session: string;
  /** Playground name. */
  playground: string;
  /** The task that changed (`task` events only). */
  task?: Pick<TaskInfo, 'id' | 'title' | 'state' | 'message' | 'exitCode' | 'durationMs'>;
  /** Progress over all tasks after the change. */
  progress: { done: number; total: number };
  /** When it happened (ISO 8601). */
  at: string;
}

/** Options of a {@link WebhookSender}. */
export interface WebhookOptions {
  /** Receiver URL (http or https). */
  url: string;
  /** Shared secret for the HMAC-SHA256 signature. */
  secret: string;
  /** Attempts per event, the first included (default 5). */
  maxAttempts?: number;
  /** Delay before the second attempt; it doubles after each failure (default 1000 ms). */
  baseDelayMs?: number;
  /** The longest delay between attempts (default 30 s). */
  maxDelayMs?: number;
  /** Events waiting at most; when full the oldest is dropped (default 1000). */
  maxQueue?: number;
  /** Time limit per attempt (default 10 s). */
  timeoutMs?: number;
  /** fetch implementation (default `globalThis.fetch`). */
  fetch?: typeof fetch;
  /** Where problems are reported (default `console.warn`). */
  warn?: (message: string) => void;
}

/** The `x-ix-signature` value for a body sent at `timestamp` (unix seconds): `sha256=<hex>`. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** A delivery that failed in a way another attempt cannot fix (a 4xx other than 408 and 429). */
class PermanentFailure extends Error {}

/**
 * Posts signed events to one URL, in order, one at a time, each retried with exponential backoff
 * up to a bounded number of attempts. `send` never blocks and never throws; the queue is bounded,
 * so a dead receiver costs a fixed amount of memory.
 */
export class WebhookSender {
  #options: Required<WebhookOptions>;
  #queue: { id: string; body: string; type: string }[] = [];
  #draining: Promise<void> | undefined;
  #dropped = 0;
  #disposed = false;
  #abort = new AbortController();
  #sleep: { timer: ReturnType<typeof setTimeout>; wake: () => void } | undefined;

  constructor(options: WebhookOptions) {
    this.#options = {
      maxAttempts: 5,
      baseDelayMs: 1000,
      maxDelayMs: 30_000,
      maxQueue: 1000,
      timeoutMs: 10_000,
      fetch: globalThis.fetch,
      warn: (message) => console.warn(`[ix-playground] webhook: ${message}`),
      ...options,
    };
  }

  /** Queues an event for delivery. */
  send(event: WebhookEvent): void {
    if (this.#disposed) return;
    if (this.#queue.length >= this.#options.maxQueue) {
      this.#queue.shift();
      if (this.#dropped++ % 100 === 0) this.#options.warn(`the receiver is not keeping up; dropped ${this.#dropped} event(s) so far`);
    }
    this.#queue.push({ id: randomUUID(), body: JSON.stringify(event), type: event.type });
    this.#kick();
  }

  #kick(): void {
    if (this.#draining || this.#disposed) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#queue.length) this.#kick(); // an event queued as the last delivery ended
    });
  }

  /** Resolves once every queued event was delivered or given up on. */
  async idle(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /** Waits up to `graceMs` for queued events, then stops: later events are ignored, retries cancelled. */
  async close(graceMs = 0): Promise<void> {
    if (graceMs > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.idle(), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    this.#disposed = true;
    this.#queue = [];
    this.#abort.abort();
    if (this.#sleep) {
      clearTimeout(this.#sleep.timer);
      this.#sleep.wake();
    }
  }

  async #drain(): Promise<void> {
    for (let item = this.#queue.shift(); item && !this.#disposed; item = this.#queue.shift()) {
      await this.#deliver(item);
    }
  }

  async #deliver(item: { id: string; body: string; type: string }): Promise<void> {
    const { maxAttempts, baseDelayMs, maxDelayMs } = this.#options;
    let reason = '';
    for (let attempt = 1; attempt <= maxAttempts && !this.#disposed; attempt++) {
      if (attempt > 1) await this.#wait(Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 2)));
      if (this.#disposed) return;
      try {
        await this.#post(item);
        return;
      } catch (error) {
        reason = (error as Error).message;
        if (error instanceof PermanentFailure) break;
      }
    }
    if (!this.#disposed) this.#options.warn(`gave up on a ${item.type} event (delivery ${item.id}): ${reason}`);
  }

  async #post(item: { id: string; body: string }): Promise<void> {
    // Signed at send time, so a receiver's freshness check also accepts late retries.
    const timestamp = Math.floor(Date.now() / 1000);
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#options.timeoutMs)]);
    let response: Response;
    try {
      response = await this.#options.fetch(this.#options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'ix-playground-webhook',
          'x-ix-delivery': item.id,
          'x-ix-timestamp': String(timestamp),
          'x-ix-signature': signWebhook(this.#options.secret, timestamp, item.body),
        },
        body: item.body,
        signal,
      });
    } catch (error) {
      throw new Error(`cannot reach ${this.#options.url}: ${(error as Error).message}`);
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.ok) return;
    const message = `${this.#options.url} answered HTTP ${response.status}`;
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) throw new PermanentFailure(message);
    throw new Error(message);
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#sleep = undefined;
        resolve();
      }, ms);
      timer.unref?.();
      this.#sleep = { timer, wake: resolve };
    });
  }
}

/** What {@link sendTaskEvents} needs of a session. */
export interface TaskEventSource {
  /** Session id. */
  readonly id: string;
  /** The session's manifest (its name is the playground). */
  readonly manifest: { readonly name: string };
  /** The current state of every task. */
  readonly tasks: TaskInfo[];
  /** Done and total counts. */
  readonly progress: { done: number; total: number };
  /** Task changes, task list replacements and completion. */
  on<E extends 'task' | 'tasks' | 'complete'>(event: E, callback: TaskRunnerEvents[E]): () => void;
}

/**
 * Sends a session's task state changes and its completion to a webhook. `running` is transient
 * and not sent, nor are message-only changes. Returns an unsubscribe function.
 */
export function sendTaskEvents(sender: WebhookSender, session: TaskEventSource): () => void {
  const last = new Map<string, TaskState>(session.tasks.map((t) => [t.id, t.state]));
  const base = () => ({ session: session.id, playground: session.manifest.name, progress: session.progress, at: new Date().toISOString() });
  const held = new DisposableStore();
  held.add(
    session.on('task', (task) => {
      if (task.state === 'running' || last.get(task.id) === task.state) return;
      last.set(task.id, task.state);
      const { id, title, state, message, exitCode, durationMs } = task;
      sender.send({ type: 'task', ...base(), task: { id, title, state, message, exitCode, durationMs } });
    }),
    // A reload sets the baseline silently: tasks that merely appear are not news to the host site.
    session.on('tasks', (tasks) => {
      last.clear();
      for (const t of tasks) last.set(t.id, t.state);
    }),
    session.on('complete', () => sender.send({ type: 'complete', ...base() })),
  );
  return () => held.dispose();
}
