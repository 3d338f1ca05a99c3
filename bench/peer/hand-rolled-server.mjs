#!/usr/bin/env node
// The peer: the terminal-over-WebSocket glue people write by hand today (ws + node-pty, as in the
// xterm.js attach-addon examples), serving its page (bench/peer/index.html) and xterm.js from
// node_modules. Bash on a pty sized from the URL (?cols=&rows=); its output goes straight to the
// socket, the socket's input straight to the pty. No flow control, no sandbox, no resume, no auth.
// It is a benchmark peer, not shipped code: do not expose it to anyone.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import { WebSocketServer } from 'ws';

const port = Number(process.env.PORT || 8090);
const host = process.env.HOST || '127.0.0.1';
const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const lib = (pkg) => path.dirname(require.resolve(`${pkg}/package.json`));

// What a bundler or a copy step would put next to the page.
const files = {
  '/': [path.join(here, 'index.html'), 'text/html; charset=utf-8'],
  '/xterm/xterm.mjs': [path.join(lib('@xterm/xterm'), 'lib/xterm.mjs'), 'text/javascript'],
  '/xterm/xterm.css': [path.join(lib('@xterm/xterm'), 'css/xterm.css'), 'text/css'],
  '/xterm/addon-fit.mjs': [path.join(lib('@xterm/addon-fit'), 'lib/addon-fit.mjs'), 'text/javascript'],
  '/xterm/addon-attach.mjs': [path.join(lib('@xterm/addon-attach'), 'lib/addon-attach.mjs'), 'text/javascript'],
};

const sockets = new Set();
const server = http.createServer((req, res) => {
  const { pathname } = new URL(req.url, 'http://x');
  if (pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, sessions: sockets.size }));
    return;
  }
  const file = files[pathname];
  if (!file) {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-cache' });
  res.end(readFileSync(file[0]));
});

const wss = new WebSocketServer({ server });
wss.on('connection', (ws, req) => {
  sockets.add(ws);
  const query = new URL(req.url, 'http://x').searchParams;
  const size = (name, fallback) => Math.min(Math.max(Number(query.get(name)) || fallback, 2), 500);
  const term = pty.spawn('/bin/bash', ['-l'], {
    name: 'xterm-256color',
    cols: size('cols', 80),
    rows: size('rows', 24),
    cwd: os.homedir(),
    env: { ...process.env, TERM: 'xterm-256color', LANG: 'C.UTF-8' },
  });
  term.onData((data) => ws.send(data));
  term.onExit(() => ws.close());
  ws.on('message', (message) => term.write(message.toString()));
  ws.on('close', () => {
    sockets.delete(ws);
    try {
      term.kill();
    } catch {
      // already gone
    }
  });
});

server.listen(port, host, () => console.log(`hand-rolled peer on http://${host}:${port}`));
const stop = () => {
  for (const ws of sockets) ws.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
