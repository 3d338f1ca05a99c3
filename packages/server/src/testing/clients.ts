// Helpers shared by the server's tests: polling, plain HTTP requests, a raw protocol client, and
// the host processes a test started. Not shipped (package.json excludes dist/testing).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import WebSocket from 'ws';
import { PROTOCOL, decodeOutput, decodeServerMessage, encodeMessage, type ServerMessage } from '@ix-playground/sdk/protocol';

/** Polls `condition` until it holds or `timeoutMs` passes; then fails with `what`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Host pids of bwrap processes this test process started (the server runs in-process). */
export function bwrapChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (comm === 'bwrap' && ppid === process.pid) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/** One HTTP request without keep-alive; answers the status and the parsed JSON body (if any). */
export function request(
  base: string,
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, base),
      { method, agent: false, headers: { 'content-type': 'application/json', ...options.headers }, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A raw protocol client on the `ws` package, recording everything the server says. */
export class RawClient {
  readonly ws: WebSocket;
  readonly messages: ServerMessage[] = [];
  output = '';
  /** 101 once upgraded, or the HTTP status the upgrade was refused with. */
  status: number | undefined;
  close: { code: number; reason: string } | undefined;

  constructor(url: string, options: { protocols?: string[]; origin?: string } = {}) {
    this.ws = new WebSocket(url.replace(/^http/, 'ws') + '/api/ws', options.protocols ?? [PROTOCOL], options.origin ? { origin: options.origin } : {});
    this.ws.on('open', () => (this.status = 101));
    this.ws.on('unexpected-response', (_req, res) => {
      this.status = res.statusCode;
      res.resume();
      this.ws.terminate();
    });
    this.ws.on('error', () => {});
    this.ws.on('message', (raw: WebSocket.RawData, isBinary: boolean) => {
      const data = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
      if (isBinary) this.output += Buffer.from(decodeOutput(data).data).toString('utf8');
      else this.messages.push(decodeServerMessage(data.toString('utf8')));
    });
    this.ws.on('close', (code, reason) => (this.close = { code, reason: reason.toString() }));
    clients.add(this);
  }

  async opened(): Promise<void> {
    await waitFor(() => this.status !== undefined, 5000, 'the WebSocket upgrade');
    assert.equal(this.status, 101, 'the upgrade must succeed');
  }

  async attach(session: string, token: string): Promise<void> {
    await this.opened();
    this.ws.send(encodeMessage({ type: 'attach', session, token }));
  }

  async closed(): Promise<{ code: number; reason: string }> {
    await waitFor(() => this.close !== undefined, 5000, 'the server to close the socket');
    return this.close as { code: number; reason: string };
  }

  async message<T extends ServerMessage['type']>(type: T): Promise<Extract<ServerMessage, { type: T }>> {
    await waitFor(
      () => this.messages.some((m) => m.type === type),
      5000,
      () => `a "${type}" message (got ${JSON.stringify(this.messages)})`,
    );
    return this.messages.find((m) => m.type === type) as Extract<ServerMessage, { type: T }>;
  }
}

/** Every {@link RawClient} made, so a test's `afterEach` can close them all. */
export const clients = new Set<RawClient>();
