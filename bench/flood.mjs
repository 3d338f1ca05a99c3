#!/usr/bin/env node
// Flood benchmark: `yes` in a shell whose reader is a slow browser tab, then Ctrl-C.
//
// Compares, in one run, the ix-playground reference server (packages/server, bwrap sandbox, ack-based
// flow control) with the hand-rolled peer (bench/peer/hand-rolled-server.mjs: ws + node-pty, no flow
// control, no sandbox). Both are driven by the same simulated tab: it receives output, "renders" it
// at BENCH_RENDER_MBPS, and keeps at most 256 KiB received-but-unrendered (the ix client by acking
// only what it rendered; the peer client by pausing its socket). Measures per server:
//   1. peak and final RSS of the server's Node process (/proc/PID/status VmRSS every 100 ms, plus VmHWM),
//   2. time from sending Ctrl-C until the prompt is rendered at the client (and until it arrived),
//   3. bytes the client received (and rendered) during the flood.
// Writes bench/results/flood.json and bench/results/flood.md. See bench/README.md.
//
// Environment: BENCH_SECONDS (flood length, default 20), BENCH_RENDER_MBPS (client render rate in
// MB/s = 10^6 bytes/s, default 2), BENCH_PROMPT_TIMEOUT (s to wait for the prompt after Ctrl-C,
// default 180), BENCH_RSS_CAP_MB (a server whose RSS passes this is stopped early, protecting the
// machine; default 4096), BENCH_ONLY (ix or peer: run one side only), BENCH_NO_WRITE=1 (print only,
// leave bench/results alone), BENCH_NODE_ARGS (extra node flags for both servers, e.g. --cpu-prof).
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { Session, createSession } from '../packages/sdk/dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

function envNumber(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}

const CONFIG = {
  floodSeconds: envNumber('BENCH_SECONDS', 20),
  renderMBps: envNumber('BENCH_RENDER_MBPS', 2),
  promptTimeoutSeconds: envNumber('BENCH_PROMPT_TIMEOUT', 180),
  rssCapMB: envNumber('BENCH_RSS_CAP_MB', 4096),
  /** The client keeps at most this much received-but-unrendered output (same as the ix server's high-water mark). */
  clientWindowBytes: 256 * 1024,
  /** The peer client resumes its socket below this (same as the ix server's low-water mark). */
  clientResumeBytes: 64 * 1024,
  sampleMs: 100,
  settleMs: 2000,
  renderTickMs: 10,
  playground: 'hello',
};
const ONLY = process.env.BENCH_ONLY || '';
if (ONLY && ONLY !== 'ix' && ONLY !== 'peer') throw new Error(`BENCH_ONLY must be ix or peer, got "${ONLY}"`);

/** The prompt we set in both shells. Typed as `'IX''BENCH> '`, so the echo of the command never matches. */
const MARKER = Buffer.from('IXBENCH> ');
const SET_PROMPT = "export PS1='IX''BENCH> ' PROMPT_COMMAND=\r";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;
const fmtMiB = (bytes) => (bytes === undefined || bytes === null ? 'n/a' : `${(bytes / MiB).toFixed(1)} MiB`);
const fmtMs = (ms) => (ms === undefined || ms === null ? 'n/a' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

// ---------------------------------------------------------------------------------------------
// Child processes: every server is our child; all are killed on exit, error or signal.

const children = new Set();

function startChild(name, args, env) {
  const nodeArgs = (process.env.BENCH_NODE_ARGS || '').split(/\s+/).filter(Boolean); // e.g. --cpu-prof for profiling a server
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so its sandboxes / ptys can be reaped with it
  });
  const log = [];
  const keep = (chunk) => {
    log.push(chunk.toString());
    if (log.length > 200) log.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const entry = { name, child, log, exited };
  children.add(entry);
  exited.then(() => children.delete(entry));
  return entry;
}

async function stopChild(entry, graceMs = 5000) {
  if (entry.child.exitCode !== null || entry.child.signalCode !== null) return;
  try {
    entry.child.kill('SIGTERM');
  } catch {
    // gone
  }
  const done = await Promise.race([entry.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done) killGroup(entry, 'SIGKILL');
  await Promise.race([entry.exited, sleep(2000)]);
  killGroup(entry, 'SIGKILL'); // leftovers in its group (ptys, sandboxes) go with it
}

function killGroup(entry, signal) {
  try {
    process.kill(-entry.child.pid, signal);
  } catch {
    // the group is gone
  }
}

function killAllNow() {
  for (const entry of children) {
    try {
      entry.child.kill('SIGTERM');
    } catch {
      // gone
    }
    killGroup(entry, 'SIGKILL');
  }
}
process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`flood: ${signal}, stopping servers`);
    killAllNow();
    process.exit(130);
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url, entry, deadlineMs) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (entry.child.exitCode !== null) throw new Error(`${entry.name} exited early:\n${entry.log.join('')}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error(`${entry.name} was not healthy within ${deadlineMs} ms:\n${entry.log.join('')}`);
}

/** With a deadline: rejects with `what` if `promise` has not settled in `ms`. */
function within(ms, what, promise) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

// ---------------------------------------------------------------------------------------------
// RSS sampling of one process.

function readStatus(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

class RssSampler {
  constructor(pid, periodMs, onSample) {
    this.pid = pid;
    this.t0 = Date.now();
    this.samples = []; // [ms since start, bytes]
    this.peak = 0;
    this.hwm = 0;
    this.last = 0;
    this.timer = setInterval(() => this.sample(onSample), periodMs);
    this.sample(onSample);
  }

  sample(onSample) {
    const status = readStatus(this.pid);
    if (!status) return;
    this.last = status.rss;
    this.peak = Math.max(this.peak, status.rss);
    this.hwm = Math.max(this.hwm, status.hwm);
    this.samples.push([Date.now() - this.t0, status.rss]);
    onSample?.(status.rss);
  }

  stop() {
    clearInterval(this.timer);
  }
}

// ---------------------------------------------------------------------------------------------
// The simulated tab: receives chunks, renders them at a bounded rate, watches for the prompt.

class SlowTab {
  /**
   * @param {object} o
   * @param {number} o.bytesPerSecond render rate
   * @param {(endOffset: number) => void} o.onRendered called after each render step with the stream
   *   offset rendered up to (the ix client acks it; the peer client may resume its socket)
   */
  constructor({ bytesPerSecond, onRendered }) {
    this.rate = bytesPerSecond;
    this.onRendered = onRendered;
    this.queue = []; // { data: Buffer, offset: number }
    this.queued = 0;
    this.maxQueued = 0;
    this.received = 0;
    this.rendered = 0;
    this.renderedOffset = 0;
    this.recvTail = Buffer.alloc(0);
    this.renderTail = Buffer.alloc(0);
    this.watch = undefined;
    this.last = performance.now();
    this.credit = 0;
    this.timer = setInterval(() => this.#tick(), CONFIG.renderTickMs);
  }

  push(data, offset) {
    this.received += data.byteLength;
    this.queue.push({ data, offset });
    this.queued += data.byteLength;
    this.maxQueued = Math.max(this.maxQueued, this.queued);
    const w = this.watch;
    if (w && !w.receivedAt) {
      const hit = scan(this.recvTail, data, this.received);
      this.recvTail = hit.tail;
      if (hit.end !== undefined && hit.end > w.fromReceived) w.receivedAt = performance.now();
    } else {
      this.recvTail = tailOf(this.recvTail, data);
    }
  }

  /** Resolves when the marker has been rendered, counting only bytes after the current positions. */
  watchPrompt() {
    let resolve;
    const promise = new Promise((r) => (resolve = r));
    this.watch = { fromReceived: this.received, fromRendered: this.rendered, receivedAt: undefined, renderedAt: undefined, resolve };
    return promise;
  }

  #tick() {
    const now = performance.now();
    // Render budget for the elapsed time; unused budget is not hoarded beyond 50 ms worth.
    this.credit = Math.min(this.credit + ((now - this.last) / 1000) * this.rate, this.rate * 0.05);
    this.last = now;
    let progressed = false;
    while (this.queue.length && this.credit >= 1) {
      const head = this.queue[0];
      const n = Math.min(head.data.byteLength, Math.floor(this.credit));
      const part = n === head.data.byteLength ? head.data : head.data.subarray(0, n);
      this.credit -= n;
      this.queued -= n;
      this.rendered += n;
      this.renderedOffset = head.offset + n;
      if (n === head.data.byteLength) this.queue.shift();
      else this.queue[0] = { data: head.data.subarray(n), offset: head.offset + n };
      progressed = true;
      const w = this.watch;
      if (w && !w.renderedAt) {
        const hit = scan(this.renderTail, part, this.rendered);
        this.renderTail = hit.tail;
        if (hit.end !== undefined && hit.end > w.fromRendered) {
          w.renderedAt = now;
          w.receivedAt ??= now;
          w.resolve();
        }
      } else {
        this.renderTail = tailOf(this.renderTail, part);
      }
    }
    if (!this.queue.length) this.credit = Math.min(this.credit, 0); // idle: no burst credit
    if (progressed) this.onRendered(this.renderedOffset);
  }

  stop() {
    clearInterval(this.timer);
  }
}

/** Finds MARKER in tail+data; `total` is the absolute count after data. Returns the match's absolute end. */
function scan(tail, data, total) {
  const joined = tail.byteLength ? Buffer.concat([tail, data]) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const at = joined.lastIndexOf(MARKER);
  const end = at >= 0 ? total - joined.byteLength + at + MARKER.byteLength : undefined;
  return { end, tail: Buffer.from(joined.subarray(Math.max(0, joined.byteLength - (MARKER.byteLength - 1)))) };
}

function tailOf(tail, data) {
  if (data.byteLength >= MARKER.byteLength - 1) return Buffer.from(data.subarray(data.byteLength - (MARKER.byteLength - 1)));
  return Buffer.from(Buffer.concat([tail, data]).subarray(-(MARKER.byteLength - 1)));
}

// ---------------------------------------------------------------------------------------------
// The two clients, behind one small interface: { tab, write(text), close(), info() }.

async function connectIx(base) {
  const ticket = await within(60_000, 'POST /api/sessions', createSession(base, CONFIG.playground));
  const url = base.replace(/^http/, 'ws') + '/api/ws';
  const session = new Session({ url, id: ticket.id, token: ticket.token, WebSocket, manualAck: true, reconnect: false });
  const errors = [];
  session.on('error', (e) => errors.push(`${e.code}: ${e.message}`));
  let terminal = 0;
  const tab = new SlowTab({
    bytesPerSecond: CONFIG.renderMBps * 1e6,
    onRendered: (offset) => session.ack(terminal, offset),
  });
  session.on('output', ({ terminal: t, offset, data }) => {
    if (t === terminal) tab.push(data, offset);
  });
  session.on('snapshot', () => errors.push('snapshot: the server replaced the screen (output was dropped)'));
  await within(15_000, 'attach', session.open());
  terminal = [...session.terminals.keys()][0] ?? 0;
  return {
    tab,
    write: (text) => session.write(terminal, text),
    close: () => {
      tab.stop();
      session.close();
    },
    info: () => ({ status: session.status, errors }),
  };
}

async function connectPeer(base) {
  const ws = new WebSocket(base.replace(/^http/, 'ws') + '/');
  const errors = [];
  let paused = false;
  let pauses = 0;
  let offset = 0;
  const tab = new SlowTab({
    bytesPerSecond: CONFIG.renderMBps * 1e6,
    onRendered: () => {
      if (paused && tab.queued < CONFIG.clientResumeBytes) {
        paused = false;
        ws.resume();
      }
    },
  });
  ws.on('message', (data) => {
    const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(data);
    tab.push(bytes, offset);
    offset += bytes.byteLength;
    if (!paused && tab.queued >= CONFIG.clientWindowBytes) {
      paused = true;
      pauses++;
      ws.pause(); // stop reading the TCP socket: the kernel, then the server, hold the rest
    }
  });
  ws.on('error', (e) => errors.push(String(e.message || e)));
  await within(15_000, 'peer websocket open', new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  }));
  return {
    tab,
    write: (text) => ws.send(text),
    close: () => {
      tab.stop();
      ws.terminate();
    },
    info: () => ({ status: ws.readyState === WebSocket.OPEN ? 'open' : 'closed', errors, socketPauses: pauses }),
  };
}

// ---------------------------------------------------------------------------------------------
// One side of the comparison.

async function runSide(side) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const entry =
    side === 'ix'
      ? startChild('ix-playground server', [path.join(root, 'packages/server/dist/main.js')], {
          PORT: String(port),
          HOST: '127.0.0.1',
          IX_WATCH: '0',
        })
      : startChild('hand-rolled peer', [path.join(here, 'peer/hand-rolled-server.mjs')], { PORT: String(port), HOST: '127.0.0.1' });
  const result = { side, pid: entry.child.pid };
  let client;
  let sampler;
  try {
    await waitHealthy(`${base}/healthz`, entry, 20_000);
    let capHit;
    sampler = new RssSampler(entry.child.pid, CONFIG.sampleMs, (rss) => {
      if (!capHit && rss > CONFIG.rssCapMB * MiB) capHit = { rss, atMs: Date.now() };
    });
    const tStart = Date.now();
    client = side === 'ix' ? await connectIx(base) : await connectPeer(base);
    result.connectMs = Date.now() - tStart;

    // A known prompt, and the shell idle at it, before the flood.
    const ready = client.tab.watchPrompt();
    client.write(SET_PROMPT);
    await within(20_000, 'first prompt', ready);
    await sleep(500);
    result.rssBeforeFlood = sampler.last;

    // The flood.
    const floodStart = Date.now();
    const receivedBefore = client.tab.received;
    const renderedBefore = client.tab.rendered;
    client.write('yes\r');
    const floodUntil = floodStart + CONFIG.floodSeconds * 1000;
    while (Date.now() < floodUntil && !capHit && entry.child.exitCode === null) await sleep(20);
    if (entry.child.exitCode !== null) throw new Error(`the server exited during the flood:\n${entry.log.join('')}`);
    result.floodMs = Date.now() - floodStart;
    result.stoppedEarlyAtRssCap = capHit ? { rssBytes: capHit.rss, afterMs: capHit.atMs - floodStart } : null;
    result.receivedDuringFlood = client.tab.received - receivedBefore;
    result.renderedDuringFlood = client.tab.rendered - renderedBefore;
    result.rssAtCtrlC = sampler.last;
    const backlogAtCtrlC = client.tab.queued;

    // Ctrl-C, then wait for the prompt to be rendered.
    const prompt = client.tab.watchPrompt();
    const tCtrlC = performance.now();
    const renderedAtCtrlC = client.tab.rendered;
    client.write('\x03');
    let timedOut = false;
    try {
      await within(CONFIG.promptTimeoutSeconds * 1000, 'prompt after Ctrl-C', prompt);
    } catch {
      timedOut = true;
    }
    const w = client.tab.watch;
    result.promptTimedOut = timedOut;
    result.timeToPromptMs = timedOut ? null : w.renderedAt - tCtrlC;
    result.timeToPromptReceivedMs = w.receivedAt ? w.receivedAt - tCtrlC : null;
    result.renderedAfterCtrlC = client.tab.rendered - renderedAtCtrlC;
    result.receivedFromFloodToPrompt = client.tab.received - receivedBefore;
    result.clientQueuedAtCtrlC = backlogAtCtrlC;
    result.clientMaxQueued = client.tab.maxQueued;
    if (side === 'peer') {
      const stats = await fetch(`${base}/stats`, { signal: AbortSignal.timeout(5000) }).then((r) => r.json()).catch(() => undefined);
      result.serverStats = stats;
      if (timedOut && stats) {
        // Lower bound: the prompt is behind everything the pty produced that the tab has not rendered yet.
        const remaining = stats.ptyBytes - client.tab.rendered;
        result.timeToPromptEstimatedMs = CONFIG.promptTimeoutSeconds * 1000 + (remaining / (CONFIG.renderMBps * 1e6)) * 1000;
        result.backlogAtTimeoutBytes = remaining;
      }
    }

    // Final RSS: after the prompt is back (or the wait gave up), once things have settled.
    await sleep(CONFIG.settleMs);
    sampler.sample();
    result.rssFinal = sampler.last;
    result.rssPeak = sampler.peak;
    result.rssGrowth = result.rssPeak - result.rssBeforeFlood;
    result.vmHWM = readStatus(entry.child.pid)?.hwm ?? sampler.hwm;
    result.rssSamples = sampler.samples.filter((_, i) => i % 5 === 0); // every 500 ms
    result.client = client.info();
  } catch (error) {
    result.error = String(error?.stack || error);
    result.serverLog = entry.log.join('').slice(-4000);
  } finally {
    sampler?.stop();
    try {
      client?.close();
    } catch {
      // already closed
    }
    await stopChild(entry);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Report.

function machine() {
  let nproc = os.availableParallelism?.() ?? os.cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    // keep the os value
  }
  return {
    nproc,
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memTotalMiB: Math.round(os.totalmem() / MiB),
    kernel: os.release(),
    platform: `${os.platform()} ${os.arch()}`,
    loadavgAtStart: os.loadavg().map((n) => Number(n.toFixed(2))),
  };
}

function ratio(peer, ix) {
  if (typeof peer !== 'number' || typeof ix !== 'number' || ix <= 0) return null;
  return peer / ix;
}

const fmtRatio = (r, prefix = '') => (r === null ? 'n/a' : `${prefix}${r >= 100 ? r.toFixed(0) : r.toFixed(1)}×`);

function promptCell(r) {
  if (!r) return 'n/a';
  if (r.error) return 'error';
  if (r.promptTimedOut) return `> ${fmtMs(CONFIG.promptTimeoutSeconds * 1000)} (est. ${fmtMs(r.timeToPromptEstimatedMs)})`;
  return fmtMs(r.timeToPromptMs);
}

function rows(ix, peer) {
  const g = (r, k) => (r && !r.error ? r[k] : undefined);
  const peerPrompt = peer?.promptTimedOut ? peer.timeToPromptEstimatedMs : g(peer, 'timeToPromptMs');
  return [
    ['server RSS before flood', fmtMiB(g(ix, 'rssBeforeFlood')), fmtMiB(g(peer, 'rssBeforeFlood')), fmtRatio(ratio(g(peer, 'rssBeforeFlood'), g(ix, 'rssBeforeFlood')))],
    ['server RSS peak (100 ms samples)', fmtMiB(g(ix, 'rssPeak')), fmtMiB(g(peer, 'rssPeak')), fmtRatio(ratio(g(peer, 'rssPeak'), g(ix, 'rssPeak')))],
    ['server VmHWM (kernel peak)', fmtMiB(g(ix, 'vmHWM')), fmtMiB(g(peer, 'vmHWM')), fmtRatio(ratio(g(peer, 'vmHWM'), g(ix, 'vmHWM')))],
    ['server RSS growth (peak − before)', fmtMiB(g(ix, 'rssGrowth')), fmtMiB(g(peer, 'rssGrowth')), fmtRatio(ratio(g(peer, 'rssGrowth'), g(ix, 'rssGrowth')))],
    ['server RSS at Ctrl-C', fmtMiB(g(ix, 'rssAtCtrlC')), fmtMiB(g(peer, 'rssAtCtrlC')), fmtRatio(ratio(g(peer, 'rssAtCtrlC'), g(ix, 'rssAtCtrlC')))],
    [`server RSS final (prompt + ${CONFIG.settleMs / 1000} s)`, fmtMiB(g(ix, 'rssFinal')), fmtMiB(g(peer, 'rssFinal')), fmtRatio(ratio(g(peer, 'rssFinal'), g(ix, 'rssFinal')))],
    ['Ctrl-C → prompt rendered', promptCell(ix), promptCell(peer), fmtRatio(ratio(peerPrompt, g(ix, 'timeToPromptMs')), peer?.promptTimedOut ? '≥ ' : '')],
    ['Ctrl-C → prompt received', fmtMs(g(ix, 'timeToPromptReceivedMs')), peer?.promptTimedOut ? 'not yet' : fmtMs(g(peer, 'timeToPromptReceivedMs')), ''],
    ['bytes received during flood', fmtMiB(g(ix, 'receivedDuringFlood')), fmtMiB(g(peer, 'receivedDuringFlood')), fmtRatio(ratio(g(peer, 'receivedDuringFlood'), g(ix, 'receivedDuringFlood')))],
    ['bytes rendered during flood', fmtMiB(g(ix, 'renderedDuringFlood')), fmtMiB(g(peer, 'renderedDuringFlood')), ''],
    ['shell output, `yes` to prompt', fmtMiB(g(ix, 'receivedFromFloodToPrompt')), fmtMiB(g(peer, 'receivedFromFloodToPrompt')), ''],
    ['bytes rendered after Ctrl-C', fmtMiB(g(ix, 'renderedAfterCtrlC')), fmtMiB(g(peer, 'renderedAfterCtrlC')), ''],
    ['client max unrendered queue', fmtMiB(g(ix, 'clientMaxQueued')), fmtMiB(g(peer, 'clientMaxQueued')), ''],
  ];
}

function textTable(header, body) {
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  return all.map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ')).join('\n');
}

function mdTable(header, body) {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i ? '---:' : '---')).join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function markdown(report) {
  const { ix, peer } = report.results;
  const header = ['metric', 'ix-playground', 'hand-rolled peer', 'peer / ix'];
  const lines = [
    '# Flood benchmark: `yes` into a slow tab, then Ctrl-C',
    '',
    `- date: ${report.date}`,
    `- machine: ${report.machine.nproc} CPUs (\`nproc\`), ${report.machine.cpu}, ${report.machine.memTotalMiB} MiB RAM, Linux ${report.machine.kernel}`,
    `- node: ${report.machine.node}`,
    `- load average (1/5/15 min) at start: ${report.machine.loadavgAtStart.join(' / ')}, at end: ${report.machine.loadavgAtEnd.join(' / ')} (the machine is shared; other work competes for the CPUs)`,
    `- flood: \`yes\` for ${report.config.floodSeconds} s; client renders at ${report.config.renderMBps} MB/s and holds at most ${report.config.clientWindowBytes / 1024} KiB unrendered`,
    `- command: \`${report.command}\``,
    '',
    mdTable(header, rows(ix, peer)),
    '',
  ];
  for (const r of [ix, peer]) {
    if (!r) continue;
    if (r.error) lines.push(`**${r.side} failed:** \`${r.error.split('\n')[0]}\``, '');
    if (r.stoppedEarlyAtRssCap) lines.push(`**${r.side}** passed the RSS cap (${report.config.rssCapMB} MB) after ${fmtMs(r.stoppedEarlyAtRssCap.afterMs)}: Ctrl-C was sent early.`, '');
    if (r.promptTimedOut) {
      lines.push(
        `**${r.side}**: no prompt within ${report.config.promptTimeoutSeconds} s of Ctrl-C; ${fmtMiB(r.backlogAtTimeoutBytes)} of output was still ahead of it, so the estimate adds that at the render rate.`,
        '',
      );
    }
  }
  lines.push(
    'ix-playground runs the shell in a bwrap sandbox; the peer runs it unsandboxed on the host. RSS is the server\'s Node process only (not bash, yes, bwrap).',
    'See bench/README.md for what is measured and the fairness notes.',
    '',
  );
  return lines.join('\n');
}

async function main() {
  const report = {
    bench: 'flood',
    date: new Date().toISOString(),
    machine: machine(),
    config: CONFIG,
    command: [
      ...Object.entries(process.env)
        .filter(([k]) => k.startsWith('BENCH_') && k !== 'BENCH_RUNNER')
        .sort()
        .map(([k, v]) => `${k}=${v}`),
      'node',
      process.env.BENCH_RUNNER === 'run.mjs' ? 'bench/run.mjs' : 'bench/flood.mjs',
    ].join(' '),
    results: {},
  };
  console.log(`flood: yes for ${CONFIG.floodSeconds} s, render ${CONFIG.renderMBps} MB/s, ${report.machine.nproc} CPUs, node ${process.version}`);
  for (const side of ['ix', 'peer']) {
    if (ONLY && ONLY !== side) continue;
    console.log(`flood: running ${side === 'ix' ? 'ix-playground' : 'the hand-rolled peer'} ...`);
    const r = await runSide(side);
    report.results[side] = r;
    if (r.error) console.error(`flood: ${side} failed: ${r.error}\n${r.serverLog ?? ''}`);
    else console.log(`flood: ${side}: peak RSS ${fmtMiB(r.rssPeak)}, Ctrl-C → prompt ${promptCell(r)}, received during flood ${fmtMiB(r.receivedDuringFlood)}`);
  }
  const { ix, peer } = report.results;
  const g = (r, k) => (r && !r.error ? r[k] : undefined);
  report.ratios = {
    rssPeak: ratio(g(peer, 'rssPeak'), g(ix, 'rssPeak')),
    rssFinal: ratio(g(peer, 'rssFinal'), g(ix, 'rssFinal')),
    rssGrowth: ratio(g(peer, 'rssGrowth'), g(ix, 'rssGrowth')),
    timeToPrompt: ratio(peer?.promptTimedOut ? peer.timeToPromptEstimatedMs : g(peer, 'timeToPromptMs'), g(ix, 'timeToPromptMs')),
    timeToPromptIsLowerBound: Boolean(peer?.promptTimedOut),
  };
  report.machine.loadavgAtEnd = os.loadavg().map((n) => Number(n.toFixed(2)));
  console.log('');
  console.log(textTable(['metric', 'ix-playground', 'hand-rolled peer', 'peer / ix'], rows(ix, peer)));
  console.log('');
  console.log(
    `ratios (peer / ix): peak RSS ${fmtRatio(report.ratios.rssPeak)}, final RSS ${fmtRatio(report.ratios.rssFinal)}, RSS growth during flood ${fmtRatio(report.ratios.rssGrowth)}, time to prompt ${fmtRatio(report.ratios.timeToPrompt, report.ratios.timeToPromptIsLowerBound ? '≥ ' : '')}`,
  );
  if (process.env.BENCH_NO_WRITE !== '1') {
    const dir = path.join(here, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'flood.json'), JSON.stringify(report, null, 2) + '\n');
    writeFileSync(path.join(dir, 'flood.md'), markdown(report));
    console.log(`flood: wrote ${path.relative(root, path.join(dir, 'flood.json'))} and flood.md`);
  }
  const failed = Object.values(report.results).some((r) => r.error);
  process.exitCode = failed ? 1 : 0;
}

// A whole-run deadline on top of the per-step ones.
const overallMs = (CONFIG.floodSeconds + CONFIG.promptTimeoutSeconds + 180) * 2 * 1000;
const overall = setTimeout(() => {
  console.error(`flood: gave up after ${overallMs / 1000} s`);
  killAllNow();
  process.exit(1);
}, overallMs);
overall.unref();

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    killAllNow();
    // Let sockets and timers die; the overall deadline is unref'd.
    setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
  });
