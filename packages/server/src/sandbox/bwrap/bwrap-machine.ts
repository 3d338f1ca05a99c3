import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import { SandboxError, resourceError } from '../../errors.js';
import type { SandboxCgroup } from '../local/cgroup.js';
import { execProcess } from '../local/exec-process.js';
import type { HomeDisk } from '../local/home-disk.js';
import { LocalPtys } from '../local/local-ptys.js';
import { spawnLocalPty, type HostPty } from '../local/node-pty-process.js';
import { enterMachine, enterNetwork } from '../local/nsenter.js';
import { PortForwarder } from '../local/port-forwarder.js';
import { childOf, commandOf, waitForExit } from '../local/proc.js';
import { tarOf } from '../local/tar.js';
import { watchFolder } from '../local/watch-folder.js';
import type { Pty } from '../pty.js';
import { NO_USAGE, goneError, goneResult, learnerEnv, type ExecResult, type Machine, type MachineSpec, type SandboxUsage } from '../sandbox.js';
import { LEARNER, bwrapArgs, type SystemEntry } from './bwrap-args.js';
import { MAKE_GO_FIFO, WAIT_FOR_GO, sendGo } from './go-signal.js';

/** How long bwrap may take to set the sandbox up, and its pid 1 to take the go line. */
const START_TIMEOUT_MS = 5000;

/** What a {@link BwrapMachine} is made of; the driver made all of it. */
export interface BwrapMachineParts {
  /** The session's folder on the host (passwd, group, the go fifo, sockets). */
  dir: string;
  /** The host uid the sandbox runs as (when the server is root), or the server's own. */
  uid: number;
  /** Whether the server runs as root (and so drops to `uid` with setpriv). */
  root: boolean;
  spec: MachineSpec;
  disk: HomeDisk;
  cgroup: SandboxCgroup | undefined;
  /** The host's system, as bwrap binds it. */
  system: readonly SystemEntry[];
  /** Called once the machine is gone (gives its uid back). */
  release: () => void;
}

/**
 * The one machine of a bwrap session. It is two processes: bwrap, started on the first terminal's
 * pty, and the learner's login shell as the sandbox's pid 1 (`--as-pid-1`: no reaper, no `sleep`).
 * The shell waits, silent, until the session has run the init script (which, like every check and
 * every further terminal, enters the running sandbox with nsenter, so they all share one machine),
 * then becomes `bash -l`.
 */
export class BwrapMachine implements Machine {
  readonly home = LEARNER.home;
  readonly name: string;
  readonly #parts: BwrapMachineParts;
  /** bwrap on the first terminal's pty; its child, the sandbox's pid 1, becomes the login shell. */
  #anchor: HostPty | undefined;
  #anchorExited = false;
  /** True once the first terminal has been handed out. */
  #started = false;
  /** The fifo whose first line lets pid 1 become the login shell. */
  readonly #go: string;
  /** Host pid of the sandbox's pid 1; every sandbox process dies with it. */
  #pid = 0;
  readonly #ptys = new LocalPtys();
  readonly #ports: PortForwarder;
  #disposed: Promise<void> | undefined;

  constructor(parts: BwrapMachineParts) {
    this.#parts = parts;
    this.name = parts.spec.name;
    this.#go = path.join(parts.dir, 'go');
    this.#ports = new PortForwarder(parts.dir, () => enterNetwork(this.#pid));
  }

  /** Starts bwrap on a pty and waits until its pid 1 is set up and waiting for the learner. */
  async start(): Promise<void> {
    const { dir, uid, root, spec, disk, cgroup, system } = this.#parts;
    const paths = { home: disk.path, passwd: path.join(dir, 'passwd'), group: path.join(dir, 'group'), go: this.#go };
    const args = bwrapArgs(spec, paths, system, WAIT_FOR_GO);
    const bwrap = root
      ? ['prlimit', `--nproc=${spec.limits.pids}`, '--', 'setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', 'bwrap', ...args]
      : ['bwrap', ...args];
    const [file, ...rest] = ['/bin/sh', '-c', MAKE_GO_FIFO, this.#go, ...(cgroup?.enterCommand() ?? []), ...bwrap];
    let said = '';
    try {
      const anchor = spawnLocalPty(file as string, rest, { cols: 80, rows: 24, cwd: dir, env: learnerEnv(LEARNER.home, LEARNER.user) });
      this.#anchor = anchor;
      const listening = anchor.onData((d) => (said = (said + Buffer.from(d).toString()).slice(-4000)));
      anchor.onExit(() => (this.#anchorExited = true));
      // sh -> [cgroup sh ->] prlimit -> setpriv -> bwrap exec each other: the pty's process ends up
      // as bwrap, and its child is the sandbox's pid 1: set up once it runs bash.
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (!this.#pid && !this.#anchorExited && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 2));
        const init = await childOf(anchor.pid);
        if (init && (await commandOf(init)) === 'bash') this.#pid = init;
      }
      listening.dispose();
    } catch (error) {
      await this.dispose();
      throw resourceError('cannot start bubblewrap', error);
    }
    if (!this.#pid) {
      await this.dispose();
      const why = said.trim() || (this.#anchorExited ? 'it exited' : `no sandbox within ${START_TIMEOUT_MS / 1000}s`);
      throw new SandboxError(`bubblewrap did not start: ${why}`);
    }
  }

  /** The command prefix that runs a program inside the sandbox as the learner. */
  #enter(): string[] {
    const { cgroup, root, spec } = this.#parts;
    // With a memory cgroup the kernel limits the sandbox as a whole; without one, each process.
    const perProcess = cgroup?.limitsMemory ? [] : [`--as=${spec.limits.memory}`];
    return [
      ...(cgroup?.enterCommand() ?? []),
      'prlimit',
      ...(root ? [`--nproc=${spec.limits.pids}`] : []),
      ...perProcess,
      '--',
      ...enterMachine(this.#pid, { uid: LEARNER.uid, gid: LEARNER.uid }),
    ];
  }

  /**
   * The first call hands out the sandbox's own pty, whose pid 1 now becomes the login shell; later
   * calls start another login shell in the sandbox with nsenter.
   */
  async spawnShell(size: { cols: number; rows: number }): Promise<Pty> {
    if (this.#disposed || this.#anchorExited) throw goneError();
    const anchor = this.#anchor;
    if (!this.#started && anchor) {
      this.#started = true;
      anchor.resize(size.cols, size.rows);
      void sendGo(this.#go, START_TIMEOUT_MS, () => !!this.#disposed || this.#anchorExited).then((sent) => sent || anchor.kill());
      return anchor;
    }
    const [file, ...args] = [...this.#enter(), '/bin/bash', '-l'];
    return this.#ptys.spawn(file as string, args, { ...size, cwd: this.#parts.dir, env: learnerEnv(LEARNER.home, LEARNER.user) });
  }

  exec(script: string, timeoutMs: number): Promise<ExecResult> {
    if (this.#disposed) return Promise.resolve(goneResult());
    const [file, ...args] = [...this.#enter(), '/bin/bash', '-c', script];
    return execProcess(file as string, args, { env: learnerEnv(LEARNER.home, LEARNER.user), cwd: this.#parts.dir, timeoutMs });
  }

  connect(port: number): Promise<Duplex> {
    return this.#ports.connect(port);
  }

  exportFiles(): Promise<Readable> {
    return tarOf(this.#parts.disk.path);
  }

  watchFiles(onChange: () => void): () => void {
    return watchFolder(this.#parts.disk.path, onChange);
  }

  async usage(): Promise<SandboxUsage> {
    return (await this.#parts.cgroup?.usage()) ?? { ...NO_USAGE };
  }

  dispose(): Promise<void> {
    this.#disposed ??= (async () => {
      // bwrap first: killing a shell's nsenter first would orphan its shell to the host's pid 1,
      // and pid 1 inside cannot finish dying until that zombie is reaped (slow or never, under
      // some container inits). Killed this way, each nsenter reaps its own shell and exits.
      const anchor = this.#anchor;
      if (anchor && !this.#anchorExited) {
        const gone = new Promise((r) => anchor.onExit(r));
        anchor.kill(); // SIGKILL; --die-with-parent takes pid 1 inside, and with it every process
        await Promise.race([gone, new Promise((r) => setTimeout(r, 2000).unref())]);
      }
      // Pid 1 inside dies with bwrap and takes every sandbox process with it, but asynchronously:
      // wait for that, so nothing of the sandbox outlives dispose() (nor holds its uid's process quota).
      await waitForExit(this.#pid, 2000);
      this.#ptys.killAll();
      this.#ports.dispose();
      // The cgroup catches anything that slipped out (a check's process mid-fork, say).
      await this.#parts.cgroup?.destroy();
      await this.#parts.disk.dispose();
      await rm(this.#parts.dir, { recursive: true, force: true }).catch(() => {});
      this.#parts.release();
    })();
    return this.#disposed;
  }
}
