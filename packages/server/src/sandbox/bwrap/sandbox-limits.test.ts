import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { BwrapDriver } from './bwrap-driver.js';
import { Cgroups } from '../local/cgroup.js';
import type { MachineSpec, Sandbox } from '../sandbox.js';
import { createMachine, oneMachine, type TestMachine } from '../../testing/sandboxes.js';

const MiB = 1024 ** 2;
const driver = new BwrapDriver();
const live = new Set<Sandbox>();
const root = process.getuid?.() === 0;

function create(limits: Partial<MachineSpec['limits']> = {}): Promise<TestMachine> {
  return createMachine(driver, live, oneMachine({}, { memory: 128 * MiB, ...limits }));
}

function memAvailable(): number {
  const line =
    readFileSync('/proc/meminfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('MemAvailable:')) ?? '';
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** Runs `work` while sampling the host's available memory; answers the largest drop seen. */
async function hostMemoryDrop(work: () => Promise<void>): Promise<number> {
  const before = memAvailable();
  let lowest = before;
  const sampler = setInterval(() => (lowest = Math.min(lowest, memAvailable())), 20);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return before - Math.min(lowest, memAvailable());
}

describe('kernel limits inside a sandbox', { skip: !root && 'needs root (cgroups and mounts)' }, () => {
  before(async () => {
    BwrapDriver.check();
    const limits = await driver.describeLimits();
    assert.match(limits, /memory, pids, cpu \(cgroup v[12]\)/, `this host must enforce cgroup limits for these tests: ${limits}`);
    assert.match(limits, /home disk size: on/, limits);
  });

  afterEach(async () => {
    await Promise.all([...live].map((s) => s.dispose()));
    live.clear();
  });

  after(() => driver.close());

  test('six processes of 100 MiB each hold no more than the session memory limit of 128 MiB together', async (t) => {
    const sandbox = await create({ memory: 128 * MiB });
    let output = '';
    const drop = await hostMemoryDrop(async () => {
      // `tail` keeps the whole "line" (no newline in /dev/zero) in memory.
      const result = await sandbox.exec('for i in 1 2 3 4 5 6; do head -c 100M /dev/zero | tail > /dev/null & done; wait; echo done', 30_000);
      output = result.output;
    });
    assert.match(output, /Killed/, 'the kernel killed processes inside the sandbox');
    const usage = await sandbox.usage?.();
    const peak = usage?.memoryPeakBytes ?? 0;
    t.diagnostic(
      `six 100 MiB processes under a 128 MiB limit: the sandbox peaked at ${Math.round(peak / MiB)} MiB; the host's available memory dropped by ${Math.round(drop / MiB)} MiB at most`,
    );
    assert.ok(peak > 64 * MiB && peak <= 128 * MiB, `the kernel counted a peak of ${Math.round(peak / MiB)} MiB for the sandbox; the limit is 128 MiB`);
    // The host's view is noisy (page cache, the test itself), but far from the 600 MiB the processes asked for.
    assert.ok(drop < 450 * MiB, `the host lost ${Math.round(drop / MiB)} MiB of available memory; the limit is 128 MiB`);
    assert.ok((usage?.oomKills ?? 0) >= 1, 'the out-of-memory kills are counted');
    const after = await sandbox.exec('echo still alive', 5000);
    assert.equal(after.output, 'still alive\n', 'the sandbox itself survives');
  });

  test('RAM-backed folders are sized: filling /tmp, /dev/shm, /run and /var/tmp stops at "No space left" within the memory limit', async (t) => {
    const sandbox = await create({ memory: 128 * MiB });
    let output = '';
    const drop = await hostMemoryDrop(async () => {
      const result = await sandbox.exec(
        'for d in /tmp /dev/shm /run /var/tmp; do head -c 2G /dev/zero > $d/fill; echo "$d $(du -m $d/fill | cut -f1)"; done',
        30_000,
      );
      output = result.output;
    });
    const sizes: Record<string, number> = Object.fromEntries([...output.matchAll(/^(\/\S+) (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
    assert.deepEqual(Object.keys(sizes), ['/tmp', '/dev/shm', '/run', '/var/tmp'], output);
    assert.match(output, /No space left on device/);
    const total = Object.values(sizes).reduce((a, b) => a + b, 0);
    t.diagnostic(`tmpfs filled: ${JSON.stringify(sizes)} MiB; host available memory dropped by ${Math.round(drop / MiB)} MiB at most`);
    assert.ok(total <= 100, `the tmpfs folders took ${total} MiB together; they must stay well under the 128 MiB memory limit`);
    assert.ok(drop < 300 * MiB, `the host lost ${Math.round(drop / MiB)} MiB of available memory`);
  });

  test('the root and /dev are read-only, so no unsized RAM-backed place is left to fill', async () => {
    const sandbox = await create();
    const result = await sandbox.exec('for p in /x /dev/x /home/x /var/x /etc/x; do touch $p 2>/dev/null && echo "WROTE $p"; done; echo checked', 5000);
    assert.equal(result.output, 'checked\n');
  });

  test('the home folder holds at most its disk limit; the host keeps the rest', async () => {
    const sandbox = await create({ disk: 32 * MiB });
    const result = await sandbox.exec('head -c 1G /dev/zero > ~/big; echo "rc=$?"; du -m ~/big | cut -f1; df -m ~ | tail -1', 60_000);
    assert.match(result.output, /No space left on device/);
    const used = Number(result.output.split('\n')[2]);
    assert.ok(used > 16 && used <= 32, `the learner wrote ${used} MiB into a 32 MiB home`);
    const after = await sandbox.exec('rm ~/big && echo hi > ~/small && cat ~/small', 5000);
    assert.equal(after.output, 'hi\n', 'after deleting, the home is usable again');
  });

  test('a fork bomb is held at the pids limit and other sandboxes do not notice', async () => {
    const sandbox = await create({ pids: 32 });
    const bomb = sandbox.exec('bomb() { bomb | bomb & }; bomb; sleep 10', 4000); // killed, with its whole process group, at 4 s
    let most = 0;
    const sampler = setInterval(() => void sandbox.usage?.().then((u) => (most = Math.max(most, u.processes))), 20);
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const other = await create();
      const fine = await other.exec('echo other sandboxes still start processes', 5000);
      assert.equal(fine.code, 0, fine.output);
      await bomb;
    } finally {
      clearInterval(sampler);
    }
    assert.ok(most >= 16 && most <= 32, `the sandbox held ${most} processes at most; its limit is 32`);
  });

  test('every sandbox process is in its cgroup, which is removed with the sandbox', async () => {
    const sandbox = await create();
    const result = await sandbox.exec('sleep 30 & cat /proc/self/cgroup; cat /proc/$!/cgroup', 5000);
    const groups = [...result.output.matchAll(/^\d+:(memory|pids|cpu):(\/.*)$/gm)].map((m) => m[2]);
    assert.ok(groups.length >= 3, result.output);
    assert.ok(
      groups.every((g) => g && g === groups[0] && g.includes('/ix-playground/srv-')),
      `one group for all: ${groups.join(' ')}`,
    );
    const group = path.join('/sys/fs/cgroup/memory', groups[0] ?? '');
    assert.ok(existsSync(group), group);
    await sandbox.dispose();
    assert.ok(!existsSync(group), 'the cgroup is removed');
  });

  test('a server that died leaves nothing running: the next one empties and removes its groups', async () => {
    const top = '/sys/fs/cgroup/pids/ix-playground';
    const dead = 999_999_000 + Math.floor(Math.random() * 999); // beyond pid_max: never alive
    const orphan = path.join(top, `srv-${dead}`, 'ix-orphan');
    mkdirSync(orphan, { recursive: true });
    const sleeper = spawn('/bin/sh', ['-c', `echo $$ > ${orphan}/cgroup.procs && exec sleep 600`], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !readFileSync(path.join(orphan, 'cgroup.procs'), 'utf8').trim(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(readFileSync(path.join(orphan, 'cgroup.procs'), 'utf8').trim(), String(sleeper.pid));
      const exited = new Promise((r) => sleeper.once('exit', r));
      const cgroups = await Cgroups.detect({ pid: process.pid + 1_000_000_000 });
      await exited;
      assert.ok(!readdirSync(top).includes(`srv-${dead}`), "the dead server's group is gone");
      await cgroups.close();
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});

describe('cgroup v2 setup', () => {
  test('writes memory.max, pids.max, cpu.weight and no swap for a sandbox, and enables the controllers above it', async () => {
    const fake = await mkdtemp(path.join(os.tmpdir(), 'ix-cgroup2-'));
    try {
      writeFileSync(path.join(fake, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
      const mountinfo = `30 23 0:27 / ${fake} rw,nosuid - cgroup2 cgroup2 rw\n`;
      const cgroups = await Cgroups.detect({ mountinfo, pid: 4242, parent: 'ix-test' });
      assert.deepEqual(cgroups.support, { version: 2, enforced: ['memory', 'pids', 'cpu'], off: {} });
      const group = await cgroups.create('s1', { memory: 256 * MiB, pids: 64, cpuWeight: 50 });
      const dir = path.join(fake, 'ix-test', 'srv-4242', 's1');
      const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
      assert.deepEqual([read('memory.max'), read('memory.swap.max'), read('pids.max'), read('cpu.weight')], [String(256 * MiB), '0', '64', '50']);
      assert.equal(readFileSync(path.join(fake, 'ix-test', 'cgroup.subtree_control'), 'utf8'), '+memory +pids +cpu');
      assert.deepEqual(group?.procsFiles, [path.join(dir, 'cgroup.procs')]);
    } finally {
      await rm(fake, { recursive: true, force: true });
    }
  });

  test('a host without cgroups says which limits are off and why', async () => {
    const cgroups = await Cgroups.detect({ mountinfo: '' });
    assert.equal(cgroups.support.version, undefined);
    assert.deepEqual(cgroups.support.enforced, []);
    assert.match(cgroups.describe(), /memory OFF: .*pids OFF: .*cpu OFF/);
  });
});
