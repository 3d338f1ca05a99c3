import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import type { Duplex, Readable } from 'node:stream';
import path from 'node:path';
import { SandboxError, resourceError } from '../../errors.js';
import type { ImageSpec } from '../../manifest/manifest-schema.js';
import { Cgroups, type SandboxCgroup } from '../local/cgroup.js';
import { execProcess } from '../local/exec-process.js';
import { HomeDisks, type HomeDisk } from '../local/home-disk.js';
import { LocalPtys } from '../local/local-ptys.js';
import { enterMachine, enterNetwork } from '../local/nsenter.js';
import { PortForwarder } from '../local/port-forwarder.js';
import { run } from '../local/run-command.js';
import { seedFiles } from '../local/seed-files.js';
import { tarOf, untar } from '../local/tar.js';
import { which } from '../local/which.js';
import type { Pty } from '../pty.js';
import { NO_USAGE, goneError, goneResult } from '../sandbox.js';
import type { ExecResult, Machine, MachineSpec, Sandbox, SandboxDriver, SandboxSpec, SandboxUsage } from '../sandbox.js';
import { ImageStore, isLocalImage, type LocalImage } from './image-store.js';
import { machineRuntimeSpec } from './oci-spec.js';
import { SessionNetwork, hostsFile, resolvConf } from './session-network.js';

/** Where root lives inside a machine. */
const HOME = '/root';

/** Options of the {@link MachinesDriver}. */
export interface MachinesDriverOptions {
  /** Where session folders are made (default: the OS temp folder). */
  stateDir?: string;
  /** Where built images are cached (default: /var/cache/ix-playground). */
  cacheDir?: string;
  /** First host uid that root inside machines maps to (default 100000; 65536 ids from there). */
  uidBase?: number;
  /** Debian mirror for image builds. */
  mirror?: string;
  /** Progress lines (image builds). */
  log?: (line: string) => void;
  /** Let machines of manifests with `network: true` reach the internet (IX_ALLOW_NETWORK; never the host or private networks). */
  allowNetwork?: boolean;
}

/** The environment of root's shells and checks inside a machine. */
function rootEnv(): Record<string, string> {
  return {
    HOME,
    USER: 'root',
    LOGNAME: 'root',
    SHELL: '/bin/bash',
    TERM: 'xterm-256color',
    LANG: 'C.UTF-8',
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  };
}

/**
 * Machines: each one a container made by an OCI runtime (crun) from the image the manifest names,
 * with its own copy-on-write layer (overlayfs over the shared, read-only image, on a disk image of
 * `limits.disk`), root inside a user namespace that maps an unprivileged host range, its own
 * network namespace on the session's private network, and a cgroup of its own. Shells and checks
 * enter a running machine (nsenter), as root inside. Needs root on the host.
 */
export class MachinesDriver implements SandboxDriver {
  readonly name = 'machines';
  readonly #options: Required<Omit<MachinesDriverOptions, 'mirror' | 'log' | 'allowNetwork'>> & Pick<MachinesDriverOptions, 'mirror' | 'log' | 'allowNetwork'>;
  #prepared: Promise<{ cgroups: Cgroups; disks: HomeDisks; images: ImageStore; dir: string; crunRoot: string }> | undefined;

  constructor(options: MachinesDriverOptions = {}) {
    this.#options = { stateDir: os.tmpdir(), cacheDir: '/var/cache/ix-playground', uidBase: 100_000, ...options };
  }

  /** Throws a {@link SandboxError} naming what to install or change if this host cannot run machines. */
  static check(): void {
    if (process.getuid?.() !== 0) throw new SandboxError('playgrounds with an image run as machines, which needs the server to run as root');
    const packages: Record<string, string> = { crun: 'crun', mmdebstrap: 'mmdebstrap', ip: 'iproute2', nsenter: 'util-linux', 'mkfs.ext4': 'e2fsprogs' };
    const missing = Object.keys(packages).filter((p) => !which(p));
    if (missing.length) {
      throw new SandboxError(
        `playgrounds with an image need ${missing.join(', ')}: install ${[...new Set(missing.map((m) => packages[m]))].join(', ')} (apt-get install …)`,
      );
    }
  }

  /** Debian builds and local OCI layouts, which it makes itself; not the host's system, nor images in a registry. */
  supportsImage(image: ImageSpec | undefined): boolean {
    return image !== undefined && isLocalImage(image);
  }

  /** Builds (or finds in the cache) every image, so that sessions need not wait for them. */
  async prepare(images: readonly ImageSpec[]): Promise<void> {
    const { images: store } = await this.#prepare();
    await Promise.all(images.map((image) => store.rootfs(this.#local(image))));
  }

  #local(image: ImageSpec | undefined): LocalImage {
    if (!image || !isLocalImage(image))
      throw new SandboxError(`the machines driver runs Debian builds and OCI layouts, not ${image ? image.ref : "the host's system"}`);
    return image;
  }

  #prepare() {
    this.#prepared ??= (async () => {
      const top = path.join(this.#options.stateDir, 'ix-playground');
      const dir = path.join(top, `srv-${process.pid}`, 'machines');
      await mkdir(dir, { recursive: true, mode: 0o711 });
      await SessionNetwork.clearStale();
      await movePinnedControllersToV1();
      const [cgroups, disks] = await Promise.all([Cgroups.detect(), HomeDisks.detect(dir)]);
      const images = new ImageStore({
        cacheDir: this.#options.cacheDir,
        uidBase: this.#options.uidBase,
        ...(this.#options.mirror ? { mirror: this.#options.mirror } : {}),
        ...(this.#options.log ? { log: this.#options.log } : {}),
      });
      return { cgroups, disks, images, dir, crunRoot: path.join(dir, 'crun') };
    })();
    return this.#prepared;
  }

  async describeLimits(): Promise<string> {
    const { cgroups, disks } = await this.#prepare();
    return `machines: ${cgroups.describe()}; disk per machine: ${disks.support.enforced ? 'on' : `OFF: ${disks.support.reason}`}`;
  }

  async close(): Promise<void> {
    if (!this.#prepared) return;
    const { cgroups } = await this.#prepared;
    await cgroups.close();
  }

  async create(spec: SandboxSpec): Promise<Sandbox> {
    const prepared = await this.#prepare();
    const withoutImage = spec.machines.find((m) => !m.image);
    if (withoutImage) throw new SandboxError(`machine "${withoutImage.name}" has no image`);
    const images = spec.machines.map((m) => this.#local(m.image));
    const internet = spec.machines.some((m) => m.limits.network);
    if (internet && !this.#options.allowNetwork) {
      throw new SandboxError(
        'this playground asks for internet access (limits.network: true), which this server does not allow: set IX_ALLOW_NETWORK=1 to let machines out through pasta (never to the host or private networks)',
      );
    }
    // Build (or find) every image first: a session waits for builds, nothing else does.
    const rootfs = await Promise.all(images.map((image) => prepared.images.rootfs(image)));
    const dir = await mkdtemp(path.join(prepared.dir, `ix-${spec.sessionId.slice(0, 8)}-`));
    await chmod(dir, 0o711);
    const machines: CrunMachine[] = [];
    let network: SessionNetwork | undefined;
    const dispose = async () => {
      for (const m of machines) await m.dispose();
      await network?.destroy();
      await rm(dir, { recursive: true, force: true }).catch(() => {});
    };
    try {
      network = await SessionNetwork.create(path.basename(dir).slice(3), internet);
      const hosts = hostsFile(spec.machines.map((m) => m.name));
      for (const [i, machineSpec] of spec.machines.entries()) {
        const machine = new CrunMachine(machineSpec, path.join(dir, machineSpec.name), this.#options.uidBase, prepared.crunRoot);
        machines.push(machine);
        await machine.start({
          rootfs: rootfs[i] as string,
          disks: prepared.disks,
          cgroups: prepared.cgroups,
          hosts,
          internet,
          containerId: `${path.basename(dir)}-${machineSpec.name}`,
        });
        await network.attach(machine.pid);
      }
    } catch (error) {
      await dispose();
      throw resourceError('cannot start the machines', error);
    }
    return { machines: new Map(machines.map((m) => [m.name, m])), dispose };
  }
}

/**
 * In hybrid cgroup mode (v1 controllers plus a v2 hierarchy), crun refuses to run while the v2
 * hierarchy has controllers of its own. Controllers no v1 hierarchy mounts (hugetlb, here) can be
 * moved there by mounting a v1 hierarchy for them, which frees the v2 one.
 */
async function movePinnedControllersToV1(): Promise<void> {
  const unified = '/sys/fs/cgroup/unified/cgroup.controllers';
  if (!existsSync(unified)) return;
  const pinned = readFileSync(unified, 'utf8').trim().split(/\s+/).filter(Boolean);
  for (const controller of pinned) {
    const point = `/sys/fs/cgroup/${controller}`;
    await mkdir(point, { recursive: true }).catch(() => {});
    await run('mount', ['-t', 'cgroup', '-o', controller, 'cgroup', point]).catch(() => {});
  }
}

/** One machine: an OCI container whose pid 1 waits while shells and checks enter it. */
class CrunMachine implements Machine {
  readonly name: string;
  readonly home = HOME;
  readonly #spec: MachineSpec;
  readonly #dir: string;
  readonly #uidBase: number;
  readonly #crunRoot: string;
  #containerId = '';
  #pid = 0;
  #disk: HomeDisk | undefined;
  #cgroup: SandboxCgroup | undefined;
  #mounted = false;
  readonly #ptys = new LocalPtys();
  #ports: PortForwarder;
  #disposed: Promise<void> | undefined;

  constructor(spec: MachineSpec, dir: string, uidBase: number, crunRoot: string) {
    this.#ports = new PortForwarder(dir, () => enterNetwork(this.#pid));
    this.name = spec.name;
    this.#spec = spec;
    this.#dir = dir;
    this.#uidBase = uidBase;
    this.#crunRoot = crunRoot;
  }

  /** Host pid of the machine's pid 1. */
  get pid(): number {
    return this.#pid;
  }

  /** Makes the writable layer, mounts the root, writes the spec and starts the container. */
  async start(context: { rootfs: string; disks: HomeDisks; cgroups: Cgroups; hosts: string; internet: boolean; containerId: string }): Promise<void> {
    const owner = this.#uidBase;
    const { limits } = this.#spec;
    await mkdir(this.#dir, { mode: 0o711 });
    this.#disk = await context.disks.create(this.#dir, limits.disk, owner, 'disk');
    const upper = path.join(this.#disk.path, 'upper');
    const work = path.join(this.#disk.path, 'work');
    const root = path.join(this.#dir, 'root');
    await Promise.all([mkdir(upper), mkdir(work), mkdir(root)]);
    await chown(upper, owner, owner);
    if (this.#spec.restore) await untar(this.#spec.restore, upper); // the saved writable layer, before it is mounted
    await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${context.rootfs},upperdir=${upper},workdir=${work}`, root]);
    this.#mounted = true;
    // Files root inside may edit: owned by the uid root inside maps to.
    const etc = { hosts: path.join(this.#dir, 'hosts'), hostname: path.join(this.#dir, 'hostname'), resolv: path.join(this.#dir, 'resolv.conf') };
    await writeFile(etc.hosts, context.hosts);
    await writeFile(etc.hostname, `${this.#spec.hostname}\n`);
    await writeFile(etc.resolv, resolvConf(context.internet));
    for (const file of Object.values(etc)) await chown(file, owner, owner);
    if (!this.#spec.restore) await seedFiles(path.join(root, HOME), this.#spec.files, owner);
    this.#cgroup = await context.cgroups.create(`${path.basename(path.dirname(this.#dir))}-${this.name}`, {
      memory: limits.memory,
      pids: limits.pids,
      cpuWeight: limits.cpu,
    });
    const config = machineRuntimeSpec({ root, hostname: this.#spec.hostname, uidBase: owner, uidCount: 65536, memory: limits.memory, etc });
    await writeFile(path.join(this.#dir, 'config.json'), JSON.stringify(config, null, 2));
    this.#containerId = context.containerId;
    const pidFile = path.join(this.#dir, 'pid');
    // crun runs in the machine's cgroup, so the container is born in it (crun's own cgroup handling is off).
    const crun = [
      ...(this.#cgroup?.enterCommand() ?? []),
      'crun',
      '--root',
      this.#crunRoot,
      '--cgroup-manager=disabled',
      'run',
      '--detach',
      '--bundle',
      this.#dir,
      '--pid-file',
      pidFile,
      this.#containerId,
    ];
    const started = await execProcess(crun[0] as string, crun.slice(1), { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, cwd: this.#dir, timeoutMs: 30_000 });
    if (started.code !== 0) throw new SandboxError(`the machine ${this.name} did not start: ${started.output.trim().slice(-500)}`);
    this.#pid = Number((await readFile(pidFile, 'utf8')).trim());
    if (!this.#pid) throw new SandboxError(`the machine ${this.name} did not report its pid`);
  }

  /** The command prefix that runs a program in the machine as root, in /root. */
  #enter(): string[] {
    return [...(this.#cgroup?.enterCommand() ?? []), ...enterMachine(this.#pid, { uid: 0, gid: 0, cwd: HOME, cgroupNamespace: true })];
  }

  async spawnShell(size: { cols: number; rows: number }): Promise<Pty> {
    if (this.#disposed) throw goneError();
    const [file, ...args] = [...this.#enter(), '/bin/sh', '-c', 'if [ -x /bin/bash ]; then exec /bin/bash -l; else exec /bin/sh -l; fi'];
    return this.#ptys.spawn(file as string, args, { ...size, cwd: this.#dir, env: rootEnv() });
  }

  exec(script: string, timeoutMs: number): Promise<ExecResult> {
    if (this.#disposed) return Promise.resolve(goneResult());
    // bash where the image has it (checks are written for it), sh otherwise.
    const run = ['/bin/sh', '-c', 'if [ -x /bin/bash ]; then exec /bin/bash -c "$0"; else exec /bin/sh -c "$0"; fi', script];
    const [file, ...args] = [...this.#enter(), ...run];
    return execProcess(file as string, args, { env: rootEnv(), cwd: this.#dir, timeoutMs });
  }

  connect(port: number): Promise<Duplex> {
    return this.#ports.connect(port);
  }

  exportFiles(): Promise<Readable> {
    return tarOf(path.join(this.#disk?.path ?? this.#dir, 'upper'));
  }

  async usage(): Promise<SandboxUsage> {
    return (await this.#cgroup?.usage()) ?? { ...NO_USAGE };
  }

  dispose(): Promise<void> {
    this.#disposed ??= (async () => {
      if (this.#containerId) {
        const crun = (...args: string[]) => run('crun', ['--root', this.#crunRoot, ...args]).catch(() => {});
        await crun('kill', this.#containerId, 'KILL');
        await this.#cgroup?.destroy(); // every process of the machine, the ones shells started included
        await crun('delete', '--force', this.#containerId);
      } else {
        await this.#cgroup?.destroy();
      }
      this.#ptys.killAll();
      this.#ports.dispose();
      if (this.#mounted) {
        const root = path.join(this.#dir, 'root');
        await run('umount', [root]).catch(() => run('umount', ['-l', root]).catch(() => {}));
      }
      await this.#disk?.dispose();
    })();
    return this.#disposed;
  }
}
