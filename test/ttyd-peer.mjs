// A test peer that speaks ttyd's WebSocket protocol byte for byte, as ttyd's src/protocol.c does
// (subprotocol "tty"; a JSON hello with AuthToken, columns and rows; one-byte commands: input 0,
// resize 1, pause 2, resume 3 from the client; output 0, title 1, preferences 2 from the server;
// close 1000 when the shell exits, 1008 for a wrong token). No stock ttyd is packaged for Debian
// bookworm, so the tests run the widget against this. Not shipped.
import { createServer } from 'node:http';
import pty from 'node-pty';
import { WebSocketServer } from 'ws';

/** Starts the peer on 127.0.0.1 (a free port); `credential` makes it require that AuthToken. */
export async function startTtydPeer({ credential } = {}) {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server: http, path: '/ws', handleProtocols: (protocols) => (protocols.has('tty') ? 'tty' : false) });
  const received = [];
  wss.on('connection', (ws) => {
    let shell;
    ws.on('message', (raw) => {
      const bytes = Buffer.from(raw);
      const command = String.fromCharCode(bytes[0]);
      received.push(command === '{' ? bytes.toString() : command + (command === '0' ? '…' : bytes.subarray(1).toString()));
      if (!shell) {
        if (command !== '{') return ws.close(1008);
        const hello = JSON.parse(bytes.toString());
        if (credential !== undefined && hello.AuthToken !== credential) return ws.close(1008);
        shell = pty.spawn('/bin/bash', ['--norc', '--noprofile'], {
          name: 'xterm-256color',
          cols: hello.columns || 80,
          rows: hello.rows || 24,
          cwd: '/tmp',
          env: { PATH: '/usr/bin:/bin', TERM: 'xterm-256color', PS1: 'ttyd$ ', HOME: '/tmp' },
        });
        ws.send(Buffer.from('1bash (ttyd-peer)'));
        ws.send(Buffer.from('2{}'));
        shell.onData((data) => ws.readyState === ws.OPEN && ws.send(Buffer.concat([Buffer.from('0'), Buffer.from(data)])));
        shell.onExit(() => ws.close(1000));
        return;
      }
      if (command === '0') shell.write(bytes.subarray(1).toString());
      else if (command === '1') {
        const { columns, rows } = JSON.parse(bytes.subarray(1).toString());
        shell.resize(columns, rows);
      } else if (command === '2') shell.pause();
      else if (command === '3') shell.resume();
    });
    ws.on('close', () => shell?.kill());
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${http.address().port}/ws`,
    /** What clients sent: the hello as JSON, other commands with their payload (input elided). */
    received,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
