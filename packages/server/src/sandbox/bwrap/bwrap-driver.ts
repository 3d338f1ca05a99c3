import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SandboxError, resourceError } from '../../errors.js';
import type { ImageSpec } from '../../manifest/manifest-schema.js';
import { Cgroups, type SandboxCgroup } from '../local/cgroup.js';
import { HomeDisks, type HomeDisk } from '../local/home-disk.js';
import { deadServerFolders, mountPoints } from '../local/proc.js';
import { run } from '../local/run-command.js';
import { seedFiles } from '../local/seed-files.js';
import { untar } from '../local/tar.js';
import { which } from '../local/which.js';
import { singleMachine, type Sandbox, type SandboxDriver, type SandboxSpec } from '../sandbox.js';
import { groupFile, passwdFile, type SystemEntry } from './bwrap-args.js';
import { BwrapMachine } from './bwrap-machine.js';

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

/** What {@link BwrapDriver.prepare} finds out once per server. */
interface HostSetup {
  cgroups: Cgroups;
  disks: HomeDisks;
  /** This server's folder for session folders. */
  dir: string;
  system: SystemEntry[];
}

/**
 * Sandboxes with bubblewrap: a read-only system, a private writable home, no network unless the
 * manifest allows it, its own pid/ipc/uts namespaces, killed with the session (bwrap-machine.ts).
 *
 * Run as root, every session gets its own unprivileged host uid and bwrap is started as that uid
 * (setpriv), so the user namespace is unprivileged and host files are checked against that uid.
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
  #setup: Promise<HostSetup> | undefined;

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

  /** The host's own system, read-only: bwrap runs no image. */
  supportsImage(image: ImageSpec | undefined): boolean {
    return image === undefined;
  }

  /**
   * Finds out which limits the kernel can enforce here (cgroups, home disk images), and clears
   * what servers that died left behind. Runs once; {@link create} waits for it.
   */
  #hostSetup(): Promise<HostSetup> {
    this.#setup ??= (async () => {
      const top = path.join(this.#stateDir, 'ix-playground');
      const dir = path.join(top, `srv-${process.pid}`);
      await mkdir(dir, { recursive: true, mode: 0o711 });
      await chmod(top, 0o711).catch(() => {});
      await clearDeadServers(top);
      const [cgroups, disks] = await Promise.all([Cgroups.detect(), HomeDisks.detect(dir)]);
      return { cgroups, disks, dir, system: hostSystem() };
    })();
    return this.#setup;
  }

  async describeLimits(): Promise<string> {
    const { cgroups, disks } = await this.#hostSetup();
    const disk = disks.support.enforced ? 'home disk size: on (ext4 image per sandbox)' : `home disk size OFF: ${disks.support.reason}`;
    return `${cgroups.describe()}; ${disk}; every tmpfs sized`;
  }

  async close(): Promise<void> {
    if (!this.#setup) return;
    const { cgroups, dir } = await this.#setup;
    await cgroups.close();
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }

  async create(spec: SandboxSpec): Promise<Sandbox> {
    const [machine, ...more] = spec.machines;
    if (!machine || more.length) {
      throw new SandboxError(`the bwrap driver runs one machine per session; this playground has ${spec.machines.length}`);
    }
    if (machine.image) throw new SandboxError('the bwrap driver runs no images: playgrounds with an image need the machines driver (IX_IMAGE_SANDBOX)');
    if (machine.limits.network && !this.#allowNetwork) {
      throw new SandboxError(
        'this playground asks for network access, which this server does not allow: set IX_ALLOW_NETWORK=1 only if you trust its manifests (the sandbox then shares the host network, loopback services included)',
      );
    }
    const { cgroups, disks, dir: stateDir, system } = await this.#hostSetup();
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
      await writeFile(path.join(dir, 'passwd'), passwdFile(), { mode: 0o644 });
      await writeFile(path.join(dir, 'group'), groupFile(), { mode: 0o644 });
      if (this.#root) await chownTree(home, uid); // a restored tar holds the uid of the session that saved it
      cgroup = await cgroups.create(path.basename(dir), { memory: machine.limits.memory, pids: machine.limits.pids, cpuWeight: machine.limits.cpu });
      const bwrap = new BwrapMachine({ dir, uid, root: this.#root, spec: machine, disk, cgroup, system, release: () => this.#uidsInUse.delete(uid) });
      await bwrap.start();
      return singleMachine(bwrap);
    } catch (error) {
      this.#uidsInUse.delete(uid);
      await cgroup?.destroy();
      await disk?.dispose();
      if (dir) await rm(dir, { recursive: true, force: true }).catch(() => {});
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

/** The top-level entries of the host's merged-/usr system, as bwrap binds them. */
function hostSystem(): SystemEntry[] {
  const entries: SystemEntry[] = [{ bind: '/usr' }];
  for (const name of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const host = `/${name}`;
    if (!existsSync(host)) continue;
    entries.push(lstatSync(host).isSymbolicLink() ? { symlink: host, target: readlinkSync(host) } : { bind: host });
  }
  return entries;
}

/** Removes what servers that are no longer running left under `top`: their mounts (home disks) and folders. */
async function clearDeadServers(top: string): Promise<void> {
  const dead = await deadServerFolders(top);
  if (!dead.length) return;
  const mounts = await mountPoints();
  for (const dir of dead) {
    for (const point of mounts.filter((p) => p.startsWith(dir + '/'))) await run('umount', ['-l', point]).catch(() => {});
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}
