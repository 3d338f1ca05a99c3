// The agent bundle runs in an image that has no Node.js and no C++ runtime (a pod's image is the
// author's): each machine here is such an image, run by bubblewrap with the bundle bound at /ix,
// its agent reached over loopback, and the whole driver contract passes through it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import type { ImageSpec } from '../../manifest/manifest-schema.js';
import { driverContract } from '../../testing/driver-contract.js';
import { processesWith } from '../../testing/host-leftovers.js';
import { tinyLayout } from '../../testing/oci-layout.js';
import { testPort } from '../../testing/ports.js';
import { openMachine } from '../remote/remote-machine.js';
import type { Sandbox, SandboxDriver, SandboxSpec } from '../sandbox.js';
import { agentCommand, buildAgentBundle } from './agent-bundle.js';

function unavailable(): string | false {
  try {
    execFileSync('sh', ['-c', 'command -v bwrap && command -v umoci && command -v socat']);
  } catch {
    return 'needs bubblewrap, umoci and socat';
  }
  return false;
}

const skip = unavailable();
const dir = mkdtempSync(path.join(os.tmpdir(), 'ix-bundle-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let prepared: { bundle: string; rootfs: string } | undefined;

/** The bundle, and a root filesystem with the contract's programs and their libc only. */
function prepare(): { bundle: string; rootfs: string } {
  if (prepared) return prepared;
  const bundle = path.join(dir, 'bundle');
  buildAgentBundle(bundle);
  const programs = ['/bin/bash', '/bin/cat', '/bin/sleep', '/usr/bin/seq', '/bin/stty', '/usr/bin/touch', '/bin/rm', '/usr/bin/socat', '/bin/tar'];
  const layout = tinyLayout(path.join(dir, 'image'), programs);
  execFileSync('umoci', ['unpack', '--rootless', '--image', `${layout}:tiny`, path.join(dir, 'unpacked')]);
  const rootfs = path.join(dir, 'unpacked', 'rootfs');
  for (const point of ['ix', 'proc', 'dev', 'root', 'tmp']) mkdirSync(path.join(rootfs, point), { recursive: true }); // mount points in a read-only root
  prepared = { bundle, rootfs };
  return prepared;
}

/** Machines that are the image above under bwrap (their own pid namespace, /root and /tmp), each running the bundled agent. */
class BundledAgentsDriver implements SandboxDriver {
  readonly name = 'bundled-agents';

  supportsImage(image: ImageSpec | undefined): boolean {
    return image === undefined;
  }

  async create(spec: SandboxSpec): Promise<Sandbox> {
    const { bundle, rootfs } = prepare();
    const running: ChildProcess[] = [];
    const dispose = async () => {
      for (const child of running) {
        if (child.exitCode !== null || child.signalCode !== null) continue;
        const members = pidNamespaceMembers(child.pid ?? 0);
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL'); // bwrap: its pid namespace, the agent and all it started, goes with it
        await gone;
        // The kernel kills the namespace's processes when its first one dies, not all at once: wait for that (bounded).
        for (let i = 0; i < 500 && members.some((pid) => existsSync(`/proc/${pid}`)); i++) await new Promise((r) => setTimeout(r, 10));
      }
    };
    try {
      const machines = [];
      for (const m of spec.machines) {
        // Another test may hold the random port: a new one when the agent exits before it listens (bounded).
        for (let attempt = 0; ; attempt++) {
          const token = randomBytes(24).toString('base64url');
          const port = testPort();
          // prettier-ignore
          const args = ['--ro-bind', rootfs, '/', '--ro-bind', bundle, '/ix', '--tmpfs', '/root', '--tmpfs', '/tmp', '--proc', '/proc', '--dev', '/dev',
            '--unshare-pid', '--die-with-parent', '--setenv', 'HOME', '/root', '--setenv', 'PATH', '/usr/bin:/bin', '--setenv', 'IX_AGENT_TOKEN', token,
            '--setenv', 'IX_AGENT_NAME', m.name, '--setenv', 'IX_AGENT_PORT', String(port), '--setenv', 'IX_AGENT_HOST', '127.0.0.1', '--', ...agentCommand()];
          const child = spawn('bwrap', args, { stdio: ['ignore', 'ignore', 'inherit'], env: {} });
          running.push(child);
          try {
            machines.push(await waitForAgent(`ws://127.0.0.1:${port}/machine`, token, m, child));
            break;
          } catch (error) {
            if (attempt >= 4 || child.exitCode === null) throw error;
          }
        }
      }
      return { machines: new Map(machines.map((m) => [m.name, m])), dispose };
    } catch (error) {
      await dispose();
      throw error;
    }
  }
}

/** The processes in the pid namespace of bwrap's child (the sandbox's first process). */
function pidNamespaceMembers(bwrap: number): number[] {
  const first = Number(readFileSync(`/proc/${bwrap}/task/${bwrap}/children`, 'utf8').trim().split(/\s+/)[0]);
  if (!first) return [];
  const ns = readlinkSync(`/proc/${first}/ns/pid`);
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readlinkSync(`/proc/${entry}/ns/pid`) === ns;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Connects once the agent listens (it takes a moment to start), bounded. */
async function waitForAgent(url: string, token: string, spec: SandboxSpec['machines'][number], child: ChildProcess) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await openMachine(url, token, spec);
    } catch (error) {
      if (attempt >= 1200 || child.exitCode !== null) throw error; // up to 30 s for Node.js to start on a busy machine
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

driverContract('bundled agent (an image without Node.js)', {
  driver: () => new BundledAgentsDriver(),
  skip,
  serve: (port, reply) => `socat TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo ${reply}' >/dev/null 2>&1 &`,
  leftovers: (marker) => processesWith(marker).map((pid) => `process ${pid} (${marker})`),
  countsUsage: false,
});
