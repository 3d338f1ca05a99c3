import { spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, lstatSync, openSync, readFileSync, readlinkSync, writeSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import { Cgroups, type SandboxCgroup } from './cgroup.js';
import { PlaygroundError, SandboxError, resourceError } from './errors.js';
import { execProcess } from './exec-process.js';
import { HomeDisks, run, type HomeDisk } from './home-disk.js';
import { spawnLocalPty, type HostPty } from './node-pty-process.js';
import { PortForwarder } from './port-forwarder.js';
import type { Pty } from './pty.js';
import { seedFiles } from './seed-files.js';
import { tarOf, untar } from './snapshot-store.js';
import { watchFolder } from './watch-folder.js';
import {
  learnerEnv,
  singleMachine,
  type ExecResult,
  type Machine,
  type MachineSpec,
  type Sandbox,
  type SandboxDriver,
  type SandboxSpec,
  type SandboxUsage,
} from './sandbox.js';
import { processAlive } from './process-alive.js';

const USER = 'learner';
const UID_INSIDE = 1000;
const HOME = `/home/${USER}`;

/** Options of the bubblewrap driver. */
export interface BwrapDriverOptions {
  /** Where session folders are made on the host (default: the OS temp folder). */
  stateDir?: string;
  /** First host uid handed to sessions when the server runs as root (default 200000). */
  uidBase?: number;
  /** How many host uids to cycle through (default 60000). */
  uidCount?: number;
  /**
   * Let manifests with `network: true` reach the network (default false). Such sandboxes share
   * the host's network namespace, services on the host's loopback included: trusted manifests only.
   */
  allowNetwork?: boolean;
}

/** The path of a program on PATH, or undefined. */
function which(program: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * Sandboxes with bubblewrap: a read-only system, a private writable home, no network unless the
 * manifest allows it, its own pid/ipc/uts namespaces, killed with the session.
 *
 * Run as root, every session gets its own unprivileged host uid and bwrap is started as that uid
 * (setpriv), so the user namespace is unprivileged and host files are checked against that uid.
 *
 * A sandbox is two processes: bwrap, started on the first terminal's pty, and the learner's login
 * shell as the sandbox's pid 1 (`--as-pid-1`: no reaper, no `sleep`). The shell waits, silent,
 * until the session has run the init script (which, like every check and every further terminal,
 * enters the running sandbox with nsenter, so they all share one machine), then becomes `bash -l`.
 */
export class BwrapDriver implements SandboxDriver {
  readonly name = 'bwrap';
  #stateDir: string;
  #uidBase: number;
  #uidCount: number;
  /** Starts at a random place so two servers on one host rarely hand out the same uids. */
  #nextUid = Math.floor(Math.random() * 60_000);
  #uidsInUse = new Set<number>();
  #root = process.getuid?.() === 0;
  #allowNetwork: boolean;
  #prepared: Promise<{ cgroups: Cgroups; disks: HomeDisks; dir: string }> | undefined;

  constructor(options: BwrapDriverOptions = {}) {
    this.#stateDir = options.stateDir ?? os.tmpdir();
    this.#uidBase = options.uidBase ?? 200_000;
    this.#uidCount = options.uidCount ?? 60_000;
    this.#allowNetwork = options.allowNetwork ?? false;
  }

  /** Throws a {@link SandboxError} naming what to install if this host cannot run bwrap sandboxes. */
  static check(): void {
    const missing = ['bwrap', 'nsenter', 'prlimit', 'setpriv'].filter((p) => !which(p));
    if (missing.includes('bwrap')) {
      throw new SandboxError(
        'bubblewrap is not installed: install the "bubblewrap" package (apt-get install bubblewrap), or set IX_SANDBOX=host for local authoring on loopback',
      );
    }
    if (missing.length) throw new SandboxError(`missing ${missing.join(', ')}: install the "util-linux" package`);
    const probe = spawnSync('bwrap', ['--unshare-all', '--ro-bind', '/', '/', '--', '/bin/true'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      throw new SandboxError(
        `bubblewrap cannot create namespaces on this host: ${probe.stderr.trim() || `exit ${probe.status}`}. Unprivileged user namespaces must be enabled.`,
      );
    }
  }

  /**
   * Finds out which limits the kernel can enforce here (cgroups, home disk images), and clears
   * what servers that died left behind. Runs once; {@link create} waits for it.
   */
  prepare(): Promise<{ cgroups: Cgroups; disks: HomeDisks; dir: string }> {
    this.#prepared ??= (async () => {
      const top = path.join(this.#stateDir, 'ix-playground');
      const dir = path.join(top, `srv-${process.pid}`);
      await mkdir(dir, { recursive: true, mode: 0o711 });
      await chmod(top, 0o711).catch(() => {});
      await clearStaleStateDirs(top);
      const [cgroups, disks] = await Promise.all([Cgroups.detect(), HomeDisks.detect(dir)]);
      return { cgroups, disks, dir };
    })();
    return this.#prepared;
  }

  async describeLimits(): Promise<string> {
    const { cgroups, disks } = await this.prepare();
    const disk = disks.support.enforced ? 'home disk size: on (ext4 image per sandbox)' : `home disk size OFF: ${disks.support.reason}`;
    return `${cgroups.describe()}; ${disk}; every tmpfs sized`;
  }

  async close(): Promise<void> {
    if (!this.#prepared) return;
    const { cgroups, dir } = await this.#prepared;
    await cgroups.close();
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }

  async create(spec: SandboxSpec): Promise<Sandbox> {
    const [machine, ...more] = spec.machines;
    if (!machine || more.length) {
      throw new SandboxError(`the bwrap driver runs one machine per session; this playground has ${spec.machines.length}`);
    }
    if (machine.limits.network && !this.#allowNetwork) {
      throw new SandboxError(
        'this playground asks for network access, which this server does not allow: set IX_ALLOW_NETWORK=1 only if you trust its manifests (the sandbox then shares the host network, loopback services included)',
      );
    }
    const { cgroups, disks, dir: stateDir } = await this.prepare();
    const uid = this.#root ? this.#allocateUid() : (process.getuid?.() ?? 0);
    let dir: string | undefined;
    let disk: HomeDisk | undefined;
    let cgroup: SandboxCgroup | undefined;
    try {
      dir = await mkdtemp(path.join(stateDir, `ix-${spec.sessionId.slice(0, 8)}-`));
      await chmod(dir, 0o711);
      disk = await disks.create(dir, machine.limits.disk, uid);
      const home = disk.path;
      if (machine.restore) await untar(machine.restore, home);
      else await seedFiles(home, machine.files);
      await writeFile(path.join(dir, 'passwd'), `root:x:0:0:root:/root:/usr/sbin/nologin\n${USER}:x:${UID_INSIDE}:${UID_INSIDE}:Learner:${HOME}:/bin/bash\n`, {
        mode: 0o644,
      });
      await writeFile(path.join(dir, 'group'), `root:x:0:\n${USER}:x:${UID_INSIDE}:\n`, { mode: 0o644 });
      if (this.#root) await chownTree(home, uid);
      cgroup = await cgroups.create(path.basename(dir), { memory: machine.limits.memory, pids: machine.limits.pids, cpuWeight: machine.limits.cpu });
      const bwrap = new BwrapMachine({ dir, uid, root: this.#root, spec: machine, disk, cgroup, release: () => this.#uidsInUse.delete(uid) });
      await bwrap.start();
      return singleMachine(bwrap);
    } catch (error) {
      this.#uidsInUse.delete(uid);
      await cgroup?.destroy();
      await disk?.dispose();
      if (dir) await rm(dir, { recursive: true, force: true }).catch(() => {});
      if (error instanceof PlaygroundError) throw error;
      throw resourceError('cannot create the sandbox', error);
    }
  }

  #allocateUid(): number {
    for (let i = 0; i < this.#uidCount; i++) {
      const uid = this.#uidBase + ((this.#nextUid + i) % this.#uidCount);
      if (!this.#uidsInUse.has(uid)) {
        this.#nextUid = (this.#nextUid + i + 1) % this.#uidCount;
        this.#uidsInUse.add(uid);
        return uid;
      }
    }
    throw new SandboxError('no free sandbox uid left');
  }
}

async function chownTree(dir: string, uid: number): Promise<void> {
  await chown(dir, uid, uid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(full, uid);
    else await chown(full, uid, uid);
  }
}

/** The top-level entries of a merged-/usr system, as bwrap arguments. */
function systemBinds(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const name of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const host = `/${name}`;
    if (!existsSync(host)) continue;
    if (lstatSync(host).isSymbolicLink()) args.push('--symlink', readlinkSync(host), host);
    else args.push('--ro-bind', host, host);
  }
  return args;
}

/** Bytes of a tmpfs inside the sandbox: a share of the memory limit (tmpfs pages count against it). */
function tmpfsSize(memory: number, share: number): string {
  return String(Math.max(4 * 1024 * 1024, Math.floor(memory * share)));
}

/**
 * The sandbox's pid 1 until the session is ready for the learner: closes what bwrap left open
 * (it leaks a descriptor with `--as-pid-1`), waits, silent, for a line on the go fifo, then
 * becomes the login shell on the same pty and pid.
 */
const WAIT_FOR_GO = 'for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && exec {n}>&-; done; read -r _ </run/ix-go && exec /bin/bash -l';
/** Makes the go fifo (readable by the sandbox's uid, writable by the server) before the rest of the command runs. */
const MAKE_GO_FIFO = 'mkfifo -m 0604 "$0" || exit 125; exec "$@"';
/** How long bwrap may take to set the sandbox up, and its pid 1 to take the go line. */
const START_TIMEOUT_MS = 5000;

/** The one machine of a bwrap session. */
class BwrapMachine implements Machine {
  readonly home = HOME;
  readonly name: string;
  #dir: string;
  #uid: number;
  #root: boolean;
  #spec: MachineSpec;
  #disk: HomeDisk;
  #cgroup: SandboxCgroup | undefined;
  #release: () => void;
  /** bwrap on the first terminal's pty; its child, the sandbox's pid 1, becomes the login shell. */
  #anchor: HostPty | undefined;
  #anchorExited = false;
  /** True once the first terminal has been handed out. */
  #started = false;
  /** The fifo whose first line lets pid 1 become the login shell. */
  #go: string;
  /** Host pid of the sandbox's pid 1; every sandbox process dies with it. */
  #pid = 0;
  #ptys = new Set<Pty>();
  #ports: PortForwarder;
  #disposed: Promise<void> | undefined;

  constructor(options: { dir: string; uid: number; root: boolean; spec: MachineSpec; disk: HomeDisk; cgroup: SandboxCgroup | undefined; release: () => void }) {
    this.name = options.spec.name;
    this.#dir = options.dir;
    this.#ports = new PortForwarder(options.dir, () => ['nsenter', '-t', String(this.#pid), '-n', '--']);
    this.#uid = options.uid;
    this.#root = options.root;
    this.#spec = options.spec;
    this.#disk = options.disk;
    this.#cgroup = options.cgroup;
    this.#release = options.release;
    this.#go = path.join(options.dir, 'go');
  }

  /** Starts bwrap on a pty and waits until its pid 1 is set up and waiting for the learner. */
  async start(): Promise<void> {
    const { limits, hostname } = this.#spec;
    const args = [
      '--unshare-all',
      ...(limits.network ? ['--share-net'] : []),
      '--as-pid-1',
      '--die-with-parent',
      '--uid',
      String(UID_INSIDE),
      '--gid',
      String(UID_INSIDE),
      '--hostname',
      hostname,
      ...systemBinds(),
      '--ro-bind',
      '/etc',
      '/etc',
      '--ro-bind',
      path.join(this.#dir, 'passwd'),
      '/etc/passwd',
      '--ro-bind',
      path.join(this.#dir, 'group'),
      '/etc/group',
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      // Every writable RAM-backed place has a size; together they stay well under the memory limit.
      '--size',
      tmpfsSize(limits.memory, 1 / 8),
      '--tmpfs',
      '/dev/shm',
      '--size',
      tmpfsSize(limits.memory, 1 / 4),
      '--tmpfs',
      '/tmp',
      '--size',
      tmpfsSize(limits.memory, 1 / 32),
      '--tmpfs',
      '/run',
      '--ro-bind',
      this.#go,
      '/run/ix-go',
      '--size',
      tmpfsSize(limits.memory, 1 / 8),
      '--tmpfs',
      '/var/tmp',
      '--bind',
      this.#disk.path,
      HOME,
      // The root and /dev are tmpfs that bwrap made for mount points: read-only once they exist.
      '--remount-ro',
      '/dev',
      '--remount-ro',
      '/',
      '--chdir',
      HOME,
      // No --new-session: the pty is the learner's own terminal, which job control and Ctrl-C need
      // as the controlling terminal; nothing outside the sandbox reads from it.
      '--',
      '/bin/bash',
      '-c',
      WAIT_FOR_GO,
    ];
    const bwrap = this.#root
      ? ['prlimit', `--nproc=${limits.pids}`, '--', 'setpriv', `--reuid=${this.#uid}`, `--regid=${this.#uid}`, '--clear-groups', '--', 'bwrap', ...args]
      : ['bwrap', ...args];
    const [file, ...rest] = ['/bin/sh', '-c', MAKE_GO_FIFO, this.#go, ...(this.#cgroup?.enterCommand() ?? []), ...bwrap];
    let said = '';
    try {
      const anchor = spawnLocalPty(file as string, rest, { cols: 80, rows: 24, cwd: this.#dir, env: learnerEnv(HOME, USER) });
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
      throw error instanceof PlaygroundError ? error : new SandboxError(`cannot start bubblewrap: ${(error as Error).message}`);
    }
    if (!this.#pid) {
      await this.dispose();
      const why = said.trim() || (this.#anchorExited ? 'it exited' : `no sandbox within ${START_TIMEOUT_MS / 1000}s`);
      throw new SandboxError(`bubblewrap did not start: ${why}`);
    }
  }

  /** The command prefix that runs a program inside the sandbox as the learner. */
  #enter(): string[] {
    const { pids, memory } = this.#spec.limits;
    const enter = [
      'nsenter',
      '-t',
      String(this.#pid),
      '-U',
      '-m',
      '-p',
      '-n',
      '-i',
      '-u',
      '-r',
      '-w',
      '-S',
      String(UID_INSIDE),
      '-G',
      String(UID_INSIDE),
      '--',
    ];
    // With a memory cgroup the kernel limits the sandbox as a whole; without one, each process.
    const perProcess = this.#cgroup?.limitsMemory ? [] : [`--as=${memory}`];
    return [...(this.#cgroup?.enterCommand() ?? []), 'prlimit', ...(this.#root ? [`--nproc=${pids}`] : []), ...perProcess, '--', ...enter];
  }

  /**
   * The first call hands out the sandbox's own pty, whose pid 1 now becomes the login shell; later
   * calls start another login shell in the sandbox with nsenter.
   */
  spawnShell(size: { cols: number; rows: number }): Pty {
    if (this.#disposed || this.#anchorExited) throw new SandboxError('the sandbox is gone');
    const anchor = this.#anchor;
    if (!this.#started && anchor) {
      this.#started = true;
      anchor.resize(size.cols, size.rows);
      void this.#letIn(anchor);
      return anchor;
    }
    const [file, ...args] = [...this.#enter(), '/bin/bash', '-l'];
    const term = spawnLocalPty(file as string, args, { ...size, cwd: this.#dir, env: learnerEnv(HOME, USER) });
    this.#ptys.add(term);
    term.onExit(() => this.#ptys.delete(term));
    return term;
  }

  /** Writes the go line once pid 1 reads the fifo (it may still be on its way there); if it never does, the shell is killed. */
  async #letIn(anchor: HostPty): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!this.#disposed && !this.#anchorExited) {
      try {
        const fd = openSync(this.#go, constants.O_WRONLY | constants.O_NONBLOCK);
        try {
          writeSync(fd, '\n');
        } finally {
          closeSync(fd);
        }
        return;
      } catch (error) {
        // ENXIO: nobody reads the fifo yet.
        if ((error as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() > deadline) break;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    anchor.kill();
  }

  exec(script: string, timeoutMs: number): Promise<ExecResult> {
    if (this.#disposed) return Promise.resolve({ code: null, output: 'the sandbox is gone', timedOut: false, durationMs: 0 });
    const [file, ...args] = [...this.#enter(), '/bin/bash', '-c', script];
    return execProcess(file as string, args, { env: learnerEnv(HOME, USER), cwd: this.#dir, timeoutMs });
  }

  connect(port: number): Promise<Duplex> {
    return this.#ports.connect(port);
  }

  exportFiles(): Promise<Readable> {
    return tarOf(this.#disk.path);
  }

  watchFiles(onChange: () => void): () => void {
    return watchFolder(this.#disk.path, onChange);
  }

  async usage(): Promise<SandboxUsage> {
    return (await this.#cgroup?.usage()) ?? { memoryBytes: 0, memoryPeakBytes: 0, processes: 0, oomKills: 0 };
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
      for (const term of this.#ptys) term.kill();
      this.#ports.dispose();
      // The cgroup catches anything that slipped out (a check's process mid-fork, say).
      await this.#cgroup?.destroy();
      await this.#disk.dispose();
      await rm(this.#dir, { recursive: true, force: true }).catch(() => {});
      this.#release();
    })();
    return this.#disposed;
  }
}

/** The command name of process `pid` (its `comm`), or undefined once it is gone. */
async function commandOf(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** Removes what servers that are no longer running left under `top` (their `srv-<pid>` folders). */
async function clearStaleStateDirs(top: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(top);
  } catch {
    return;
  }
  const mounts = (() => {
    try {
      return readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[4] ?? '');
    } catch {
      return [];
    }
  })();
  for (const name of entries) {
    const m = /^srv-(\d+)$/.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    const dir = path.join(top, name);
    for (const point of mounts.filter((p) => p.startsWith(dir + '/'))) await run('umount', ['-l', point]).catch(() => {});
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}

/** Resolves once `pid` has exited (gone or a zombie), or after `timeoutMs`. */
async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pid && Date.now() < deadline) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      if (/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))) return;
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function childOf(pid: number): Promise<number | undefined> {
  if (!pid) return undefined;
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    const first = text.trim().split(/\s+/)[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}
