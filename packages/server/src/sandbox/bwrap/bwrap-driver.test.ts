import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BwrapDriver } from './bwrap-driver.js';
import { SandboxError } from '../../errors.js';
import { execProcess } from '../local/exec-process.js';
import { parseManifest } from '../../manifest/manifest.js';
import { PlaygroundSession } from '../../session/playground-session.js';
import type { Machine, MachineSpec, Sandbox } from '../sandbox.js';
import { processesWith } from '../../testing/host-leftovers.js';
import { createMachine, oneMachine, type TestMachine } from '../../testing/sandboxes.js';

/** Polls `condition` until it holds or `timeoutMs` passes; then fails with `what`. */
async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The command lines of every process inside a sandbox, as the sandbox itself sees them. */
async function sandboxProcesses(sandbox: Machine): Promise<string[]> {
  const result = await sandbox.exec('ps -eo args=', 5000);
  assert.equal(result.code, 0, result.output);
  return result.output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

const driver = new BwrapDriver();
const live = new Set<Sandbox>();
/** Where this test process's driver makes session folders. */
const stateDir = path.join(os.tmpdir(), 'ix-playground', `srv-${process.pid}`);

const spec = oneMachine;

function create(overrides: Partial<MachineSpec> = {}): Promise<TestMachine> {
  return createMachine(driver, live, spec(overrides));
}

const typed = (text: string) => new TextEncoder().encode(text);

describe('bubblewrap sandbox', () => {
  before(() => BwrapDriver.check());

  afterEach(async () => {
    await Promise.all([...live].map((s) => s.dispose()));
    live.clear();
  });

  test('a new sandbox has the seeded files in the home folder and runs as learner', async () => {
    const sandbox = await create({
      files: [
        { path: 'notes.txt', content: 'Welcome!\n' },
        { path: 'bin/hi.sh', content: '#!/bin/sh\necho "hi from $(id -un)"\n', mode: '755' },
      ],
    });
    await sandbox.exec('mkdir -p ~/work && echo init-ran > ~/work/marker', 5000);
    const result = await sandbox.exec('id -un; echo "home=$HOME pwd=$PWD"; ls ~; cat ~/notes.txt; ~/bin/hi.sh; cat ~/work/marker', 5000);
    assert.equal(result.code, 0, result.output);
    const lines = result.output.split('\n');
    assert.equal(lines[0], 'learner');
    assert.equal(lines[1], 'home=/home/learner pwd=/home/learner');
    assert.deepEqual(lines.slice(2, 5), ['bin', 'notes.txt', 'work']);
    assert.deepEqual(lines.slice(5, 8), ['Welcome!', 'hi from learner', 'init-ran']);
  });

  test('the learner can change the seeded files and folders', async () => {
    const sandbox = await create({ files: [{ path: 'deep/er/file.txt', content: 'x\n' }] });
    const result = await sandbox.exec('echo more >> ~/deep/er/file.txt && touch ~/deep/er/new ~/deep/new ~/new && rm ~/deep/er/file.txt && echo ok', 5000);
    assert.equal(result.code, 0, result.output);
    assert.equal(result.output, 'ok\n');
  });

  test('the learner cannot read /etc/shadow or write to the system', async () => {
    assert.ok(existsSync('/etc/shadow'), 'this test needs a host /etc/shadow');
    const sandbox = await create();
    const shadow = await sandbox.exec('cat /etc/shadow', 5000);
    assert.notEqual(shadow.code, 0);
    assert.match(shadow.output, /Permission denied/);
    assert.doesNotMatch(shadow.output, /^root:/m);
    const write = await sandbox.exec('touch /usr/bin/evil || touch /etc/evil || echo ok > /bin/evil', 5000);
    assert.notEqual(write.code, 0);
    assert.match(write.output, /Read-only file system|Permission denied/);
  });

  test("without network the sandbox cannot connect to a server on the host's 127.0.0.1", async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      const probe = `exec 3<>/dev/tcp/127.0.0.1/${port} && echo CONNECTED`;
      const sandbox = await create();
      const inside = await sandbox.exec(probe, 5000);
      assert.notEqual(inside.code, 0, inside.output);
      assert.doesNotMatch(inside.output, /CONNECTED/);
      assert.equal(inside.timedOut, false);

      // Control: the same probe from the host does connect, and the server counts it. Connections are
      // accepted in order, so a sandbox connection (had there been one) would be counted before it.
      const outside = await execProcess('/bin/bash', ['-c', probe], { env: { PATH: '/usr/bin:/bin' }, cwd: '/', timeoutMs: 5000 });
      assert.match(outside.output, /CONNECTED/);
      await waitFor(() => connections >= 1, 5000, 'the host probe connection');
      assert.equal(connections, 1, 'only the host probe may reach the host server');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  test("the host's /root, the project folder and the host's /tmp are not visible", async () => {
    const marker = path.join(os.tmpdir(), `ix-host-marker-${randomBytes(6).toString('hex')}`);
    await writeFile(marker, 'host secret\n');
    const thisFile = fileURLToPath(import.meta.url);
    const project = path.resolve(path.dirname(thisFile), '../../../../..'); // the repository root, wherever it is cloned
    try {
      assert.ok(existsSync('/root') && existsSync(thisFile) && existsSync(marker), 'the host has what the sandbox must not see');
      const sandbox = await create();
      const paths = ['/root', project, thisFile, marker, `/tmp/${path.basename(marker)}`];
      const result = await sandbox.exec(
        `for p in ${paths.map((p) => `'${p}'`).join(' ')}; do test -e "$p" && echo "VISIBLE $p"; done; echo "tmp=[$(ls -A /tmp)]"; echo "home=[$(ls -A /home)]"`,
        5000,
      );
      assert.doesNotMatch(result.output, /VISIBLE/);
      assert.match(result.output, /^tmp=\[\]$/m);
      assert.match(result.output, /^home=\[learner\]$/m);
    } finally {
      await rm(marker, { force: true });
    }
  });

  test("two sandboxes see neither each other's home files nor each other's processes", async () => {
    const tag = randomInt(100_000, 999_999);
    const a = await create({ files: [{ path: 'a-secret.txt', content: 'only for a\n' }] });
    const b = await create();
    const made = await a.exec(`echo top-secret > ~/made-by-a.txt; sleep ${tag} >/dev/null 2>&1 & echo started`, 5000);
    assert.equal(made.code, 0, made.output);
    await waitFor(async () => (await sandboxProcesses(a)).includes(`sleep ${tag}`), 5000, "a's background process");

    const seen = await b.exec('echo "home=[$(ls -A ~)]"; cat ~/a-secret.txt ~/made-by-a.txt 2>/dev/null', 5000);
    assert.equal(seen.output, 'home=[]\n', "b's home is empty and a's files cannot be read");
    assert.ok(!(await sandboxProcesses(b)).includes(`sleep ${tag}`), "b must not see a's processes");
  });

  test('a process started in the shell is visible to checks: they run in the same machine', async () => {
    const tag = randomInt(100_000, 999_999);
    const sandbox = await create();
    const shell = await sandbox.spawnShell({ cols: 80, rows: 24 });
    shell.write(typed(`sleep ${tag} &\r`));
    await waitFor(async () => (await sandboxProcesses(sandbox)).includes(`sleep ${tag}`), 5000, `the shell's "sleep ${tag}" to show up in a check`);
    const ps = await sandboxProcesses(sandbox);
    assert.ok(
      ps.some((args) => args.startsWith('/bin/bash')),
      `the shell itself is visible too: ${ps.join(' | ')}`,
    );
  });

  test('after dispose() no process of the sandbox remains and its files are deleted', async () => {
    const tag = randomInt(100_000, 999_999);
    const s = spec();
    const sandbox = await createMachine(driver, live, s);
    const shell = await sandbox.spawnShell({ cols: 80, rows: 24 });
    shell.write(typed(`sleep ${tag} & sleep ${tag} &\r`));
    await waitFor(() => processesWith(`sleep ${tag}`).length === 2, 5000, "the shell's sleeps on the host");

    // bwrap's command line names the session folder: that finds its host pids and its files.
    const bwraps = processesWith(`/ix-${s.sessionId}-`);
    assert.ok(bwraps.length >= 1, 'the bwrap process is visible on the host');
    const args = readFileSync(`/proc/${bwraps[0]}/cmdline`, 'utf8').split('\0');
    const homeOnHost = args[args.indexOf('--bind') + 1] ?? '';
    const dir = path.dirname(homeOnHost);
    assert.ok(existsSync(homeOnHost) && dir.includes(`ix-${s.sessionId}-`), `the session folder ${dir} exists`);

    await sandbox.dispose();
    assert.deepEqual(processesWith(`sleep ${tag}`), [], "the shell's background processes are gone");
    assert.deepEqual(processesWith(`/ix-${s.sessionId}-`), [], 'bwrap is gone');
    for (const pid of bwraps) assert.ok(!existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/cmdline`, 'utf8') === '', `pid ${pid} is gone`);
    assert.ok(!existsSync(dir), `the session folder ${dir} is deleted`);

    const late = await sandbox.exec('echo still here', 5000);
    assert.notEqual(late.code, 0);
    await assert.rejects(sandbox.spawnShell({ cols: 80, rows: 24 }), SandboxError);
    await sandbox.dispose(); // idempotent
  });

  test("a failing init script gives a SandboxError with the script's output, and leaves nothing behind", async () => {
    const manifest = parseManifest('name: lab\ntitle: Lab\ninit: |\n  echo "preparing the lab"\n  echo "cannot find lab-data.tar" >&2\n  exit 7\n', 'lab.yaml');
    const before = readdirSync(stateDir);
    await assert.rejects(PlaygroundSession.create(manifest, driver, { graceMs: 60_000, replayBytes: 1024 * 1024, checkIntervalMs: 0 }), (error: unknown) => {
      assert.ok(error instanceof SandboxError, `expected a SandboxError, got ${String(error)}`);
      assert.equal(error.code, 'sandbox');
      assert.match(error.message, /init script failed \(exit 7\)/);
      assert.match(error.message, /preparing the lab/);
      assert.match(error.message, /cannot find lab-data\.tar/);
      return true;
    });
    assert.deepEqual(readdirSync(stateDir), before, 'no session folder is left');
    assert.deepEqual(processesWith(stateDir), [], 'no bwrap process is left');
  });
});
