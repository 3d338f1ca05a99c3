#!/usr/bin/env node
// Soak test (not part of `npm test`): N sessions print numbered lines for M minutes through a proxy
// that drops every connection now and then; each client resumes and checks that every line came
// exactly once, in order. Reports the server's memory over time and the bytes lost (must be 0).
//
//   node scripts/soak.mjs [--sessions 20] [--minutes 5] [--drop-every 15]
//
// Needs a build (`npm run build`) and what the server needs (bubblewrap; root for kernel limits).
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { Session, createSession } from '../packages/sdk/dist/index.js';
import { startTcpProxy } from '../packages/server/dist/testing/tcp-proxy.js';

const root = path.resolve(new URL('..', import.meta.url).pathname);
const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '20' },
    minutes: { type: 'string', default: '5' },
    'drop-every': { type: 'string', default: '15' },
  },
});
const sessions = Number(values.sessions);
const minutes = Number(values.minutes);
const dropEvery = Number(values['drop-every']);

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Resident memory of a process and its descendants, in MiB (from /proc). */
function treeRssMiB(pid) {
  const children = new Map();
  for (const entry of readdirSafe('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // gone
    }
  }
  let kib = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone
    }
    stack.push(...(children.get(p) ?? []));
  }
  return Math.round(kib / 1024);
}

function readdirSafe(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
const port = await freePort();
const server = spawn(process.execPath, [path.join(root, 'packages/server/dist/main.js')], {
  cwd: root,
  env: {
    ...process.env,
    PORT: String(port),
    IX_WATCH: '0',
    IX_MAX_SESSIONS: String(sessions + 8),
    IX_MAX_SESSIONS_PER_CLIENT: String(sessions + 8),
    IX_GRACE: '2m',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const stop = () => server.kill('SIGTERM');
process.on('SIGINT', () => {
  stop();
  process.exit(130);
});
process.on('uncaughtException', (error) => {
  console.error(error);
  stop();
  process.exit(2);
});
process.on('unhandledRejection', (error) => {
  console.error(error);
  stop();
  process.exit(2);
});
for (let i = 0; ; i++) {
  if (i > 150) throw new Error('the server did not start');
  if (
    await fetch(`http://127.0.0.1:${port}/healthz`)
      .then((r) => r.ok)
      .catch(() => false)
  )
    break;
  await new Promise((r) => setTimeout(r, 100));
}
const proxy = await startTcpProxy(port);
const base = `http://127.0.0.1:${proxy.port}`;

/** One client: checks that the numbers it sees go 1, 2, 3, … with none missing or repeated. */
async function client(n) {
  const ticket = await createSession(base, 'hello');
  const session = new Session({
    url: `ws://127.0.0.1:${proxy.port}/api/ws`,
    ...ticket,
    WebSocket,
    reconnect: { attempts: 1000, baseDelayMs: 50, maxDelayMs: 1000 },
  });
  const state = { n, bytes: 0, lines: 0, expected: 1, lost: 0, errors: 0, buffer: '', started: false };
  session.on('output', ({ data }) => {
    state.bytes += data.byteLength;
    state.buffer += Session.text(data);
    const lines = state.buffer.split('\n');
    state.buffer = lines.pop() ?? '';
    for (const raw of lines) {
      const m = /(?:^|\r)L(\d+)\r?$/.exec(raw); // bash may put an escape sequence and \r before the first line
      if (!m) continue;
      const value = Number(m[1]);
      if (value !== state.expected) state.lost += Math.abs(value - state.expected);
      state.expected = value + 1;
      state.lines++;
    }
  });
  session.on('error', () => state.errors++);
  await session.open();
  session.write(0, 'stty -echo; i=1; while :; do for j in $(seq 1 200); do echo L$i; i=$((i+1)); done; sleep 0.2; done\r');
  return { session, state };
}

console.log(`soak: ${sessions} sessions for ${minutes} min, connections dropped every ${dropEvery} s`);
const clients = await Promise.all(Array.from({ length: sessions }, (_, i) => client(i)));
const samples = [];
const started = Date.now();
const deadline = started + minutes * 60_000;
let nextDrop = Date.now() + dropEvery * 1000;
while (Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 5000));
  if (Date.now() >= nextDrop) {
    proxy.breakAll();
    nextDrop = Date.now() + dropEvery * 1000;
  }
  const rss = treeRssMiB(server.pid);
  const lines = clients.reduce((a, c) => a + c.state.lines, 0);
  samples.push({ t: Math.round((Date.now() - started) / 1000), rssMiB: rss, lines });
  console.log(`t=${samples.at(-1).t}s server+sandboxes RSS ${rss} MiB, ${lines} lines received, drops ${proxy.breaks}`);
}
const lost = clients.reduce((a, c) => a + c.state.lost, 0);
const bytes = clients.reduce((a, c) => a + c.state.bytes, 0);
for (const { session } of clients) session.close();
await proxy.close();
stop();
console.log(
  JSON.stringify(
    {
      sessions,
      minutes,
      drops: proxy.breaks,
      bytes,
      lostLines: lost,
      rssFirstMiB: samples[0]?.rssMiB,
      rssLastMiB: samples.at(-1)?.rssMiB,
      rssMaxMiB: Math.max(...samples.map((s) => s.rssMiB)),
    },
    null,
    2,
  ),
);
process.exit(lost ? 1 : 0);
