// The driver contract (docs/drivers.md) as one test suite: every sandbox driver runs it with a
// few lines of its own (what to make, how to serve a port, how to see what it left behind).
// Not shipped.
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { after, afterEach, describe, test } from 'node:test';
import { parseManifest } from '../manifest/manifest.js';
import type { ImageSpec } from '../manifest/manifest-schema.js';
import { PlaygroundSession } from '../session/playground-session.js';
import type { Pty } from '../sandbox/pty.js';
import type { Machine, MachineSpec, Sandbox, SandboxDriver, SandboxSpec } from '../sandbox/sandbox.js';
import { waitFor } from './clients.js';
import { processesWith } from './host-leftovers.js';
import { testPort } from './ports.js';

/** What a driver's contract test says about it. */
export interface DriverUnderTest {
  /** Makes the driver (once for the suite; closed after it). */
  driver: () => SandboxDriver;
  /** Why the suite cannot run on this host (it is skipped then), or false. */
  skip: string | false;
  /** The image every machine runs, for drivers that need one (made before the suite runs, with `prepare`). */
  image?: () => ImageSpec;
  /** A command for `exec` that starts, in the background, a TCP server on `port` inside the machine that answers `reply` and a newline. */
  serve(port: number, reply: string): string;
  /**
   * What of this driver's sandboxes is still on the host: processes whose command line holds
   * `marker`, folders, mounts, cgroups. It must see a live sandbox (the suite checks that it does).
   */
  leftovers(marker: string, machine: Machine): string[] | Promise<string[]>;
  /** True where the driver reports usage from kernel-enforced limits (cgroups) on this host. */
  countsUsage: boolean;
}

const SOCAT = '/usr/bin/socat';

/**
 * The contract's parts for machines that are this host's own processes in a home folder (the host
 * driver, agents run here): socat serves a port, and what is left is their processes and home.
 */
export const hostMachineParts: Omit<DriverUnderTest, 'driver' | 'image'> = {
  skip: !existsSync(SOCAT) && 'needs socat',
  serve: (port, reply) => `${SOCAT} TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo ${reply}' >/dev/null 2>&1 &`,
  leftovers: (marker, machine) => [
    ...processesWith(marker).map((pid) => `process ${pid} (${marker})`),
    ...(existsSync(machine.home) ? [`the home folder ${machine.home}`] : []),
  ],
  countsUsage: false,
};

const NOTES = 'notes for the contract\n';
const typed = (text: string) => new TextEncoder().encode(text);

/** A sleep no other test runs: its command line is the marker of what it started. */
const marker = () => `sleep 600.${randomInt(100_000, 999_999)}`;

/** Terminal bytes as plain lines: carriage returns and control sequences (bracketed paste, colours) dropped. */
const plain = (data: Uint8Array) =>
  Buffer.from(data)
    .toString('utf8')
    // eslint-disable-next-line no-control-regex -- the escape character is what is being removed
    .replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r/g, '');

/** Collects a pty's output as plain text. */
function output(pty: Pty): () => string {
  let text = '';
  pty.onData((d) => (text += plain(d)));
  return () => text;
}

/** Reads what a connection answers until it ends (bounded by the connection's own end). */
function answer(socket: Duplex): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('error', () => resolve(text));
    socket.on('close', () => resolve(text));
  });
}

/** Runs the driver contract suite against one driver. */
export function driverContract(name: string, under: DriverUnderTest): void {
  describe(`the ${name} driver keeps the driver contract`, { skip: under.skip }, () => {
    let made: SandboxDriver | undefined;
    const driver = (): SandboxDriver => (made ??= under.driver());
    const live = new Set<Sandbox>();

    const machineSpec = (overrides: Partial<MachineSpec> = {}): MachineSpec => ({
      name: 'lab',
      hostname: 'lab',
      files: [{ path: 'notes.txt', content: NOTES }],
      limits: { memory: 256 * 1024 ** 2, pids: 64, cpu: 100, disk: 64 * 1024 ** 2, network: false },
      ...(under.image ? { image: under.image() } : {}),
      ...overrides,
    });
    const spec = (overrides: Partial<MachineSpec> = {}): SandboxSpec => ({ sessionId: randomBytes(4).toString('hex'), machines: [machineSpec(overrides)] });

    async function create(overrides: Partial<MachineSpec> = {}): Promise<Machine> {
      if (under.image) await driver().prepare?.([under.image()]);
      const sandbox = await driver().create(spec(overrides));
      live.add(sandbox);
      const machine = [...sandbox.machines.values()][0];
      assert.ok(machine, 'the sandbox has its machine');
      return machine;
    }

    const sandboxOf = (machine: Machine) => [...live].find((s) => [...s.machines.values()].includes(machine));

    const disposeAll = async () => {
      await Promise.all([...live].map((s) => s.dispose()));
      live.clear();
    };
    afterEach(disposeAll);
    /** Skips a test that made a machine first: node runs no afterEach for a skipped test, so it cleans up here. */
    const skipAfter = async (t: { skip(reason: string): void }, reason: string) => {
      await disposeAll();
      t.skip(reason);
    };
    after(async () => {
      await made?.close?.();
    });

    test('says it runs the image its machines are made of', () => {
      assert.equal(driver().supportsImage(under.image?.()), true);
    });

    test('a new machine has the seeded files in its home, where scripts and shells start', async () => {
      const machine = await create();
      const result = await machine.exec('cat ~/notes.txt', 10_000);
      assert.equal(result.code, 0, result.output);
      assert.equal(result.output, NOTES);
    });

    test('a shell echoes what is typed and runs it', async () => {
      const machine = await create();
      const shell = await machine.spawnShell({ cols: 80, rows: 24 });
      const seen = output(shell);
      shell.write(typed('cat ~/notes.txt\r'));
      await waitFor(() => seen().includes('cat ~/notes.txt') && seen().includes(NOTES), 10_000, 'the command and the file it prints');
    });

    test('exec answers the exit code and the output, stdout and stderr together', async () => {
      const machine = await create();
      assert.deepEqual({ ...(await machine.exec('exit 3', 10_000)), durationMs: 0 }, { code: 3, output: '', timedOut: false, durationMs: 0 });
      const missing = await machine.exec('echo looking; cat ~/no-such-file', 10_000);
      assert.equal(missing.code, 1);
      assert.match(missing.output, /^looking\n.*No such file/s);
      assert.equal(missing.timedOut, false);
    });

    test('exec is stopped at its timeout, with what it started, and says so', async () => {
      const machine = await create();
      const sleep = marker();
      const result = await machine.exec(`echo begun; ${sleep}`, 500);
      assert.equal(result.timedOut, true);
      assert.equal(result.code, null);
      assert.equal(result.output, 'begun\n', 'the output before the timeout is kept');
      await waitFor(async () => (await under.leftovers(sleep, machine)).every((l) => !l.includes(sleep)), 10_000, `"${sleep}" to be killed`);
      assert.equal((await machine.exec('echo still usable', 10_000)).output, 'still usable\n', 'the machine runs on');
    });

    test("a shell's output is all delivered before its exit is reported", async () => {
      const machine = await create();
      const shell = await machine.spawnShell({ cols: 80, rows: 24 });
      const seen = output(shell);
      const exited = new Promise<{ code: number | null; text: string }>((resolve) => shell.onExit((code) => resolve({ code, text: seen() })));
      shell.write(typed('seq 1 20000; exit 7\r'));
      const { code, text } = await exited;
      assert.equal(code, 7);
      const numbers = text
        .split('\n')
        .filter((line) => /^\d+$/.test(line))
        .map(Number);
      assert.equal(numbers.length, 20000, 'every line came before the exit');
      assert.ok(
        numbers.every((n, i) => n === i + 1),
        'in order, none lost',
      );
    });

    test('a resize reaches the shell', async () => {
      const machine = await create();
      const shell = await machine.spawnShell({ cols: 80, rows: 24 });
      const seen = output(shell);
      shell.resize(91, 33);
      shell.write(typed('stty size\r'));
      await waitFor(() => /\n33 91\n/.test(seen()), 10_000, 'stty to print the new size');
    });

    test('connect reaches a server inside the machine', async (t) => {
      const machine = await create();
      if (!machine.connect) return skipAfter(t, 'this driver makes no connections into machines');
      const port = testPort();
      const reply = `hello from port ${port}`;
      const started = await machine.exec(under.serve(port, reply), 10_000);
      assert.equal(started.code, 0, started.output);
      // The server starts in the background: ask until it answers (bounded).
      let heard = '';
      for (let attempt = 0; attempt < 200 && !heard.includes(reply); attempt++) {
        // Refused while the server is not listening yet: a connection may fail as it opens, or after.
        heard = await machine.connect(port).then(answer, () => '');
        if (!heard) await new Promise((r) => setTimeout(r, 25));
      }
      assert.equal(heard, `${reply}\n`);
    });

    test('exported files come back in a new machine restored from them', async (t) => {
      const machine = await create();
      if (!machine.exportFiles) return skipAfter(t, 'this driver cannot export files');
      assert.equal((await machine.exec('touch ~/made-by-the-learner', 10_000)).code, 0);
      const tar = await machine.exportFiles();
      const restored = await create({ files: [], restore: tar });
      assert.equal((await restored.exec('test -f ~/made-by-the-learner', 10_000)).code, 0, 'the file the learner made');
      assert.equal((await restored.exec('cat ~/notes.txt', 10_000)).output, NOTES, 'the seeded file');
    });

    test('usage tells what the machine uses', async (t) => {
      if (!under.countsUsage) return t.skip('this driver reports no usage here');
      const machine = await create();
      if (!machine.usage) return skipAfter(t, 'this driver reports no usage');
      const shell = await machine.spawnShell({ cols: 80, rows: 24 });
      const seen = output(shell);
      shell.write(typed('echo ready\r'));
      await waitFor(() => seen().includes('\nready\n'), 10_000, 'the shell to run');
      const usage = await machine.usage();
      assert.ok(usage.processes >= 1, `processes: ${usage.processes}`);
      assert.ok(usage.memoryBytes > 0, `memory: ${usage.memoryBytes}`);
      assert.ok(usage.memoryPeakBytes === 0 || usage.memoryPeakBytes >= usage.memoryBytes);
      assert.equal(usage.oomKills, 0);
    });

    test('dispose() leaves nothing behind, and the machine refuses work afterwards', async () => {
      const machine = await create();
      const sleep = marker();
      const shell = await machine.spawnShell({ cols: 80, rows: 24 });
      shell.write(typed(`${sleep} &\r`));
      assert.equal((await machine.exec(`${sleep} >/dev/null 2>&1 &`, 10_000)).code, 0);
      await waitFor(async () => (await under.leftovers(sleep, machine)).length > 0, 10_000, 'the live machine to be seen on the host');
      const sandbox = sandboxOf(machine);
      assert.ok(sandbox);
      await sandbox.dispose();
      live.delete(sandbox);
      assert.deepEqual(await under.leftovers(sleep, machine), [], 'nothing of the machine is left');
      await sandbox.dispose(); // idempotent
      await assert.rejects(machine.spawnShell({ cols: 80, rows: 24 }), (e: Error & { code?: string }) => e.code === 'sandbox');
      assert.notEqual((await machine.exec('echo still here', 10_000)).code, 0);
    });

    test('a playground session on it runs init once before the first prompt, and its checks see the same machine', async () => {
      if (under.image) await driver().prepare?.([under.image()]);
      const image = under.image?.();
      const manifest = parseManifest(
        JSON.stringify({
          name: 'lab',
          title: 'Contract',
          ...(image ? { image } : {}),
          files: [{ path: 'notes.txt', content: NOTES }],
          init: 'touch ~/init-ran',
          tasks: [{ id: 'made', title: 'Make made.txt', check: 'test -f ~/made.txt' }],
        }),
        '/contract/lab.yaml',
      );
      const session = await PlaygroundSession.create(manifest, driver(), { graceMs: 60_000, replayBytes: 1 << 20, checkIntervalMs: 0 });
      try {
        const shell = session.terminals.get(0);
        assert.ok(shell, 'the first terminal is open');
        let seen = '';
        shell.on('output', (_offset, data) => (seen += plain(data)));
        shell.write(typed('touch ~/made.txt; test -f ~/init-ran && echo init-was-here\r'));
        await waitFor(() => seen.includes('\ninit-was-here\n'), 10_000, 'the shell to see what init made');
        await session.runChecks();
        assert.equal(session.tasks[0]?.state, 'done', 'the check saw what the shell made');
      } finally {
        await session.end('shutdown');
      }
    });
  });
}
