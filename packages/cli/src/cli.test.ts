// The CLI driven as people drive it: through a real pty (node-pty), against a real server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as pty from 'node-pty';
import { configFromEnv, startServer, type PlaygroundServer } from '@ix-playground/server';

const cli = fileURLToPath(new URL('../bin/ix-playground.js', import.meta.url));
const playgrounds = fileURLToPath(new URL('../../../examples/playgrounds/', import.meta.url));

/** Runs the CLI to completion (no tty); answers its exit code and output. */
function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A shell on a real pty, so the CLI has a real terminal; `text()` is everything it printed. */
function terminal(cols = 100, rows = 30) {
  const shell = pty.spawn('/bin/bash', ['--norc', '--noprofile'], {
    name: 'xterm-256color',
    cols,
    rows,
    cwd: os.tmpdir(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm-256color', PS1: 'host$ ' },
  });
  let text = '';
  shell.onData((d) => (text += d));
  const exited = new Promise<number>((resolve) => shell.onExit(({ exitCode }) => resolve(exitCode)));
  const waitFor = async (pattern: RegExp, what: string, timeout = 20_000) => {
    const deadline = Date.now() + timeout;
    while (!pattern.test(text)) {
      if (Date.now() > deadline) assert.fail(`${what}: never saw ${pattern} in ${JSON.stringify(text.slice(-800))}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return { shell, text: () => text, waitFor, exited };
}

describe('ix-playground check', () => {
  test('reports each of three mistakes in a file with its line and column, and exits 1', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ix-check-'));
    try {
      const file = path.join(dir, 'lab.yaml');
      writeFileSync(file, ['name: Lab', 'title: Lab', 'limits: { pids: 3 }', 'tasks:', '  - id: a', '    title: A', '    chek: true'].join('\n'));
      const result = await runCli(['check', file]);
      assert.equal(result.code, 1);
      const lines = result.stdout.trim().split('\n');
      assert.deepEqual(
        lines.map((l) => l.replace(file, 'F')),
        [
          'F:1:7: name: must be lowercase letters, digits, - or _ (at most 63)',
          'F:3:17: limits.pids: Invalid value: Expected >=8 but received 3',
          'F:7:5: tasks.0.chek: unknown key "chek"',
        ],
      );
      const json = await runCli(['check', '--json', file]);
      assert.deepEqual(
        (JSON.parse(json.stdout) as { line: number }[]).map((p) => p.line),
        [1, 3, 7],
      );
      assert.equal((await runCli(['check', playgrounds])).code, 0, 'the shipped examples are valid');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('wrong usage exits 2 with the help', async () => {
    const result = await runCli(['check']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /usage: ix-playground check/);
    assert.equal((await runCli(['frobnicate'])).code, 2);
    assert.equal((await runCli(['attach', '--help'])).code, 0);
  });
});

describe('ix-playground attach and port-forward', () => {
  let server: PlaygroundServer;

  before(async () => {
    server = await startServer({
      ...configFromEnv({}),
      port: 0,
      staticDir: '',
      playgrounds,
      watch: false,
      maxSessionsPerClient: 20,
      prebuildImages: false,
      preview: false,
    });
  });

  after(() => server?.close());

  test('attach runs commands, follows the window size, and the detach key leaves the tty as it was', { timeout: 60_000 }, async () => {
    const t = terminal(100, 30);
    t.shell.write(
      `stty -g > before.stty; node ${cli} attach ${server.url} --playground hello; stty -g > after.stty; echo "exit=$?"; diff before.stty after.stty && echo SAME-TTY\r`,
    );
    await t.waitFor(/Detach: ctrl-\]/, 'the attach banner');
    await t.waitFor(/learner@hello:~\$ $/, 'the prompt in the playground');
    t.shell.write('echo $((6*7))\r');
    await t.waitFor(/[\r\n]42\r\n/, 'the answer');
    t.shell.resize(123, 40);
    await new Promise((r) => setTimeout(r, 300)); // SIGWINCH, then the server's resize settle time
    t.shell.write('tput cols\r');
    await t.waitFor(/[\r\n]123\r\n/, 'the new width inside');
    t.shell.write('\x1d'); // ctrl-]
    await t.waitFor(/detached; the session lives on/, 'the detach message');
    await t.waitFor(/exit=0[\s\S]*SAME-TTY/, 'a sane tty after detaching');
    t.shell.kill();
  });

  test('a killed server leaves the tty as it was', { timeout: 60_000 }, async () => {
    const own = await startServer({ ...configFromEnv({}), port: 0, staticDir: '', playgrounds, watch: false, prebuildImages: false, preview: false });
    const t = terminal();
    t.shell.write(
      `stty -g > before2.stty; node ${cli} attach ${own.url} --playground hello --reconnect-attempts 1; echo "exit=$?"; stty -g > after2.stty; diff before2.stty after2.stty && echo SAME-TTY\r`,
    );
    await t.waitFor(/learner@hello:~\$ $/, 'the prompt in the playground');
    await own.close();
    await t.waitFor(/exit=[01][\s\S]*SAME-TTY/, 'a sane tty after the server went away', 30_000);
    t.shell.kill();
  });

  test('a token starting with - is a value, not an option (tokens are base64url)', async () => {
    const { code, stderr } = await runCli(['attach', server.url, '--session', 'no-such-session', '--token', '-Abc_123']);
    assert.equal(code, 1, stderr);
    assert.doesNotMatch(stderr, /ambiguous|usage:/);
    assert.match(stderr, /session/i);
  });

  test('port-forward fetches a page from a server started inside the playground', { timeout: 60_000 }, async () => {
    const res = await fetch(`${server.url}/api/sessions`, { method: 'POST', body: '{"playground":"hello"}', headers: { 'content-type': 'application/json' } });
    const ticket = (await res.json()) as { id: string; token: string };
    const t = terminal();
    t.shell.write(`node ${cli} attach ${server.url} --session ${ticket.id} --token ${ticket.token}\r`);
    await t.waitFor(/learner@hello:~\$ $/, 'the prompt');
    t.shell.write('mkdir -p ~/site && echo "<h1>inside the playground</h1>" > ~/site/index.html && cd ~/site && python3 -m http.server 8000\r');
    await t.waitFor(/Serving HTTP on/, 'the server inside');
    const local = 20_000 + Math.floor(Math.random() * 20_000);
    const forward = terminal();
    forward.shell.write(`node ${cli} port-forward ${ticket.id} ${local}:8000 --server ${server.url} --token ${ticket.token}\r`);
    await forward.waitFor(/Forwarding 127\.0\.0\.1:\d+ to 8000/, 'the forwarder');
    const page = await (await fetch(`http://127.0.0.1:${local}/index.html`)).text();
    assert.match(page, /inside the playground/);
    forward.shell.write('\x03');
    t.shell.kill();
    forward.shell.kill();
  });
});

describe('ix-playground ls and stop', () => {
  test('an operator lists the sessions and stops one, with the admin token', { timeout: 30_000 }, async () => {
    const token = 'an-admin-token-that-is-long-enough';
    const server = await startServer({
      ...configFromEnv({ IX_ADMIN_TOKEN: token }),
      port: 0,
      staticDir: '',
      playgrounds,
      watch: false,
      prebuildImages: false,
      preview: false,
    });
    try {
      const res = await fetch(`${server.url}/api/sessions`, {
        method: 'POST',
        body: '{"playground":"hello"}',
        headers: { 'content-type': 'application/json' },
      });
      const { id } = (await res.json()) as { id: string };
      const listed = await runCli(['ls', '--server', server.url, '--admin-token', token]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, new RegExp(`^${id}\\s+hello\\s+\\d+s\\s+0\\s+[\\d.]+ MiB`, 'm'));
      assert.equal((await runCli(['ls', '--server', server.url, '--admin-token', 'wrong-token-wrong-token-wrong'])).code, 1);
      const stopped = await runCli(['stop', id, '--server', server.url], { IX_ADMIN_TOKEN: token });
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal(server.sessions.get(id), undefined);
    } finally {
      await server.close();
    }
  });
});
