import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MachinesDriver } from './machines-driver.js';
import { parseManifest } from './manifest.js';
import { PlaygroundSession } from './playground-session.js';
import { SnapshotStore } from './snapshot-store.js';

const root = process.getuid?.() === 0;
let tools = true;
try {
  MachinesDriver.check();
  execFileSync('umoci', ['--version']);
} catch {
  tools = false;
}

/**
 * A tiny OCI image made the way an operator would (umoci init, new, unpack, fill, repack): a few
 * host binaries and their libraries, so the test needs no registry and no download.
 */
function tinyLayout(dir: string): string {
  const layout = path.join(dir, 'layout');
  const bundle = path.join(dir, 'bundle');
  execFileSync('umoci', ['init', '--layout', layout]);
  execFileSync('umoci', ['new', '--image', `${layout}:tiny`]);
  execFileSync('umoci', ['unpack', '--image', `${layout}:tiny`, bundle]);
  const rootfs = path.join(bundle, 'rootfs');
  for (const dirName of ['bin', 'root', 'etc', 'tmp']) mkdirSync(path.join(rootfs, dirName), { recursive: true });
  const copy = (from: string, to = from) => {
    mkdirSync(path.dirname(path.join(rootfs, to)), { recursive: true });
    if (!existsSync(path.join(rootfs, to))) copyFileSync(from, path.join(rootfs, to));
  };
  copy('/bin/dash', '/bin/sh');
  for (const program of ['/bin/sleep', '/bin/cat', '/bin/rm', '/bin/dash']) {
    if (program !== '/bin/dash') copy(program);
    const libraries = execFileSync('ldd', [program], { encoding: 'utf8' }).match(/\/\S+/g) ?? [];
    for (const library of libraries) copy(library);
  }
  execFileSync('umoci', ['repack', '--image', `${layout}:tiny`, bundle]);
  return layout;
}

describe('machines from an OCI image layout', { skip: (!root || !tools) && 'needs root, crun, mmdebstrap and umoci' }, () => {
  let dir: string;
  const driver = new MachinesDriver({ cacheDir: mkdtempSync(path.join(os.tmpdir(), 'ix-oci-cache-')) });

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ix-oci-'));
    tinyLayout(dir); // the manifest names it relative to its own folder
  });

  after(async () => {
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a playground naming a layout and tag runs it, root inside, and leaves nothing behind', async () => {
    const manifest = parseManifest(
      [
        'name: tiny',
        'title: Tiny',
        'image: { oci: layout:tiny }',
        'files: [{ path: hello.txt, content: "seeded\\n" }]',
        'init: echo ready > /tmp/init-ran',
      ].join('\n'),
      path.join(dir, 'tiny.yaml'),
    );
    const session = await PlaygroundSession.create(
      manifest,
      driver,
      { graceMs: 60_000, replayBytes: 1 << 20, checkIntervalMs: 0 },
      { owner: 'key:owner-of-this-test' },
    );
    try {
      const machine = session.machines[0];
      assert.equal(machine, 'tiny');
      assert.deepEqual((await shell(session, 'cat /root/hello.txt /tmp/init-ran /etc/hostname')).split('\n').filter(Boolean), ['seeded', 'ready', 'tiny']);
      assert.match(await shell(session, 'cat /proc/self/uid_map'), /^\s*0\s+100000\s+65536/, 'root inside is host uid 100000 and up');

      // Saved, the machine's writable layer comes back in a new session: a change outside home too.
      await shell(session, 'echo kept > /etc/motd; rm /root/hello.txt');
      const store = new SnapshotStore({ dir: path.join(dir, 'snapshots'), maxBytes: 64 * 2 ** 20, ttlMs: 60_000 });
      const snapshot = await session.save(store);
      const { files } = await store.open(snapshot.id, 'key:owner-of-this-test', 'restore');
      const restored = await PlaygroundSession.create(
        manifest,
        driver,
        { graceMs: 60_000, replayBytes: 1 << 20, checkIntervalMs: 0 },
        { restore: files, owner: 'key:owner-of-this-test' },
      );
      try {
        assert.equal(
          await shell(restored, 'cat /etc/motd; echo /root/*; cat /tmp/init-ran 2>/dev/null || echo no-init'),
          'kept\n/root/*\nno-init\n',
          'the change, the deletion, no second init',
        );
      } finally {
        await restored.end('shutdown');
        store.close();
      }
    } finally {
      await session.end('shutdown');
    }
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    assert.doesNotMatch(mounts, new RegExp(`ix-playground/srv-${process.pid}/machines/ix-`), 'no mount of the session is left');
  });
});

/** Types a script into a new terminal of the session and answers what it printed (between two markers). */
async function shell(session: PlaygroundSession, script: string): Promise<string> {
  const terminal = session.openTerminal('probe');
  let text = '';
  terminal.on('output', (_offset, data) => (text += Buffer.from(data).toString().replace(/\r/g, '')));
  const id = Math.random().toString(36).slice(2, 8);
  // Quotes split the markers in the echoed command line, so only the printed ones match.
  terminal.write(Buffer.from(`echo BEGIN""${id}; ${script}; echo END""${id}\r`));
  const printed = () => new RegExp(`BEGIN${id}\\n([\\s\\S]*?)END${id}\\n`).exec(text);
  for (let i = 0; i < 400 && !printed(); i++) await new Promise((r) => setTimeout(r, 25));
  terminal.kill();
  return printed()?.[1] ?? assert.fail(`no output from ${script}: ${JSON.stringify(text)}`);
}
