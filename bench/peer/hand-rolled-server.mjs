#!/usr/bin/env node
// The peer: the terminal-over-WebSocket glue people write by hand today (ws + node-pty, as in the
// xterm.js attach-addon examples). Bash on a pty; its output goes straight to the socket, the
// socket's input straight to the pty. No flow control, no sandbox, no resume, no auth.
// It is a benchmark peer, not shipped code: do not expose it to anyone.
//
// The only addition to the usual glue is GET /stats (bytes read from the pty, bytes queued in the
// socket): read-only instrumentation for bench/flood.mjs; it does not change how data flows.
import http from 'node:http';
import os from 'node:os';
import pty from 'node-pty';
import { WebSocketServer } from 'ws';

const port = Number(process.env.PORT || 8090);
const host = process.env.HOST || '127.0.0.1';
const stats = { connections: 0, ptyBytes: 0, inputBytes: 0, bufferedAmount: 0 };
const sockets = new Set();

const server = http.createServer((req, res) => {
  if (req.url === '/stats') {
    let buffered = 0;
    for (const ws of sockets) buffered += ws.bufferedAmount;
    stats.bufferedAmount = buffered;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(stats));
    return;
  }
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
    return;
  }
  res.writeHead(404);
  res.end();
});

const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => {
  stats.connections++;
  sockets.add(ws);
  const term = pty.spawn('/bin/bash', ['-l'], {
    name: 'xterm-256color',
    cols: 80,
    rows: 24,
    cwd: os.homedir(),
    env: { ...process.env, TERM: 'xterm-256color', LANG: 'C.UTF-8' },
  });
  term.onData((data) => {
    stats.ptyBytes += Buffer.byteLength(data);
    ws.send(data);
  });
  term.onExit(() => ws.close());
  ws.on('message', (message) => {
    const text = message.toString();
    stats.inputBytes += Buffer.byteLength(text);
    term.write(text);
  });
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
