import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MachinesDriver } from './machines-driver.js';
import { parseManifest } from '../../manifest/manifest.js';
import { PlaygroundSession } from '../../session/playground-session.js';
import { SnapshotStore } from '../../session/snapshot-store.js';
import { tinyLayout } from '../../testing/oci-layout.js';

const root = process.getuid?.() === 0;
let tools = true;
try {
  MachinesDriver.check();
  execFileSync('umoci', ['--version']);
} catch {
  tools = false;
}

describe('machines from an OCI image layout', { skip: (!root || !tools) && 'needs root, crun, mmdebstrap and umoci' }, () => {
  let dir: string;
  const driver = new MachinesDriver({ cacheDir: mkdtempSync(path.join(os.tmpdir(), 'ix-oci-cache-')) });

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ix-oci-'));
    tinyLayout(dir, ['/bin/dash', '/bin/sleep', '/bin/cat', '/bin/rm']); // the manifest names it relative to its own folder
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
  const terminal = await session.openTerminal('probe');
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
