// Many sessions from Node, one after another, each timed from request to shell prompt:
// ix through its HTTP API (POST /api/sessions) and the SDK's Session over `ws`, the peer by opening
// its WebSocket (which is what starts its bash). The clients stay attached, idle, until closed.
import WebSocket from 'ws';
import { Session, gatewayUrl } from '../../packages/sdk/dist/index.js';
import { within } from './processes.mjs';
import { PLAYGROUND } from './servers.mjs';

const PROMPT = /[$#] $/;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;
/** Calls `onPrompt` once the text received so far ends in a shell prompt. */
function promptWatcher(onPrompt) {
  const decoder = new TextDecoder();
  let tail = '';
  let seen = false;
  return (data) => {
    if (seen) return;
    tail = (tail + (typeof data === 'string' ? data : decoder.decode(data, { stream: true }))).slice(-256);
    if (PROMPT.test(tail.replace(ANSI, ''))) {
      seen = true;
      onPrompt();
    }
  };
}

/** Creates and attaches one ix session; returns { postMs, attachMs, totalMs, close }. */
async function openIx(server, timeoutMs) {
  const t0 = performance.now();
  const res = await within(timeoutMs, 'POST /api/sessions', fetch(`${server.url}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ playground: PLAYGROUND }),
    signal: AbortSignal.timeout(timeoutMs + 1000), // `within` reports first, with a clearer message
  }));
  const body = await res.json();
  const t1 = performance.now();
  if (!res.ok) throw new Error(`POST /api/sessions answered ${res.status}: ${JSON.stringify(body)}`);
  const session = new Session({ url: gatewayUrl(server.url), id: body.id, token: body.token, WebSocket, reconnect: false });
  let prompted;
  const prompt = new Promise((resolve) => (prompted = resolve));
  const watch = promptWatcher(() => prompted(performance.now()));
  session.on('output', ({ data }) => watch(data));
  session.on('snapshot', ({ data }) => watch(data)); // a resumed screen carries the prompt too
  const close = () => session.close();
  try {
    await within(timeoutMs, 'attach', session.open());
    const t2 = await within(timeoutMs, 'the first prompt', prompt);
    return { postMs: t1 - t0, attachMs: t2 - t1, totalMs: t2 - t0, close };
  } catch (error) {
    close();
    throw error;
  }
}

/** Opens one peer session (WebSocket → bash on a pty); returns { postMs: undefined, attachMs, totalMs, close }. */
async function openPeer(server, timeoutMs) {
  const t0 = performance.now();
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/pty?cols=80&rows=24`);
  let prompted;
  const prompt = new Promise((resolve) => (prompted = resolve));
  const watch = promptWatcher(() => prompted(performance.now()));
  ws.on('message', (data) => watch(data.toString()));
  ws.on('error', () => {});
  const close = () => ws.terminate();
  try {
    const t2 = await within(timeoutMs, 'the first prompt', prompt);
    return { postMs: undefined, attachMs: t2 - t0, totalMs: t2 - t0, close };
  } catch (error) {
    close();
    throw error;
  }
}

/**
 * The idle sessions of one server, held open: `add()` starts one more and records how long it took
 * to reach its prompt; `closeAll()` detaches every client.
 */
export class SessionPile {
  constructor(server, { timeoutMs = 30_000 } = {}) {
    this.server = server;
    this.timeoutMs = timeoutMs;
    this.open = [];
    /** One entry per session: { n, postMs, attachMs, totalMs } (n = sessions open after it). */
    this.latencies = [];
  }

  get size() {
    return this.open.length;
  }

  async add() {
    const opened = await (this.server.side === 'ix' ? openIx : openPeer)(this.server, this.timeoutMs);
    this.open.push(opened.close);
    const { postMs, attachMs, totalMs } = opened;
    const entry = { n: this.open.length, postMs, attachMs, totalMs };
    this.latencies.push(entry);
    return entry;
  }

  closeAll() {
    for (const close of this.open.splice(0)) {
      try {
        close();
      } catch {
        // already closed
      }
    }
  }
}
