import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort } from '../harness.mjs';

const root = new URL('../..', import.meta.url).pathname;

/** Runs the server's command line and resolves with its exit code and output (bounded). */
async function runServer(env) {
  const child = spawn(process.execPath, [path.join(root, 'packages/server/dist/main.js')], {
    cwd: root,
    env: { ...process.env, PORT: String(await freePort()), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await new Promise((r) => child.once('exit', r));
  clearTimeout(timer);
  return { code, output };
}

test('a malformed manifest stops startup with its file, line and reason', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ix-bad-'));
  try {
    writeFileSync(path.join(dir, 'broken.yaml'), 'name: broken\ntitle: Broken\ntasks:\n  - id: one\n    title: One\n    chek: true\n');
    const { code, output } = await runServer({ PLAYGROUNDS: dir });
    assert.equal(code, 1);
    assert.match(output, /broken\.yaml:6: tasks\.0\.chek: unknown key "chek"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without bubblewrap the server refuses to start and names the package to install', async () => {
  const bin = mkdtempSync(path.join(os.tmpdir(), 'ix-path-'));
  try {
    for (const tool of ['sh', 'nsenter', 'prlimit', 'setpriv']) symlinkSync(`/usr/bin/${tool}`, path.join(bin, tool));
    const { code, output } = await runServer({ PATH: bin });
    assert.equal(code, 1);
    assert.match(output, /bubblewrap is not installed: install the "bubblewrap" package/);
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});

test('the unsandboxed host driver refuses to listen beyond loopback', async () => {
  const { code, output } = await runServer({ IX_SANDBOX: 'host', HOST: '0.0.0.0' });
  assert.equal(code, 1);
  assert.match(output, /only listens on loopback/);
});
