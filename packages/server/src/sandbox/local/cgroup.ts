import { existsSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SandboxUsage } from '../sandbox.js';
import { deadServerFolders } from './proc.js';

/** The cgroup controllers a sandbox is limited by. */
export type CgroupController = 'memory' | 'pids' | 'cpu';

/** The controllers, in the order they are reported. */
export const CGROUP_CONTROLLERS: readonly CgroupController[] = ['memory', 'pids', 'cpu'];

/** What one sandbox may use; the kernel enforces it. */
export interface CgroupLimits {
  /** Bytes of memory for all of its processes together, RAM-backed files (tmpfs) included. */
  memory: number;
  /** Processes and threads, all together. */
  pids: number;
  /** CPU weight under contention, 1 to 10000 (100 is an even share). */
  cpuWeight: number;
}

/** Which limits this host can enforce, and why the others are off. */
export interface CgroupSupport {
  /** The cgroup version in use, or undefined when none can be used. */
  version: 1 | 2 | undefined;
  /** Controllers that are enforced. */
  enforced: CgroupController[];
  /** Controllers that are not, with the reason. */
  off: Partial<Record<CgroupController, string>>;
}

/** Where to find and make cgroups; for tests, a root other than /proc's view of the host. */
export interface CgroupOptions {
  /** The host's /proc/self/mountinfo text (default: read it). */
  mountinfo?: string;
  /** Name of the folder made under each hierarchy for this program (default `ix-playground`). */
  parent?: string;
  /** Process id that names this server's own group (default: this process). */
  pid?: number;
}

/** The prefix of a command that moves the command into cgroups before it runs: `sh -c … FILE… --`. */
const ENTER_SCRIPT = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';

interface Mount {
  fstype: string;
  point: string;
  options: string[];
}

function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const point = left.split(' ')[4];
    const [fstype, , superOptions] = right.split(' ');
    if (!point || !fstype) continue;
    mounts.push({ fstype, point: point.replace(/\\040/g, ' '), options: (superOptions ?? '').split(',') });
  }
  return mounts;
}

async function readNumbers(file: string): Promise<number[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Reads `key value` lines (memory.events, memory.oom_control) and answers one value. */
async function readKey(file: string, key: string): Promise<number> {
  try {
    const line = (await readFile(file, 'utf8')).split('\n').find((l) => l.startsWith(`${key} `));
    return line ? Number(line.split(' ')[1]) : 0;
  } catch {
    return 0;
  }
}

/** Kills every process listed in `procs` until it stays empty (bounded), then removes the folders. */
async function killAndRemove(procs: string, dirs: string[]): Promise<void> {
  for (let round = 0; round < 100; round++) {
    const pids = await readNumbers(procs);
    if (!pids.length) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  for (const dir of dirs) {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        await rmdir(dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        // EBUSY: the last processes are still exiting
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}

/** One sandbox's cgroup (one folder per hierarchy on cgroup v1, one folder on v2). */
export class SandboxCgroup {
  readonly #version: 1 | 2;
  /** Folder per controller (on v2, the same folder for all). */
  readonly #dirs: Map<CgroupController, string>;
  #destroyed: Promise<void> | undefined;

  constructor(version: 1 | 2, dirs: Map<CgroupController, string>) {
    this.#version = version;
    this.#dirs = dirs;
  }

  /** True when the kernel limits this group's memory as a whole. */
  get limitsMemory(): boolean {
    return this.#dirs.has('memory');
  }

  /** The `cgroup.procs` files a process writes its pid to, to join this group. */
  get procsFiles(): string[] {
    return [...new Set(this.#dirs.values())].map((d) => path.join(d, 'cgroup.procs'));
  }

  /** A command prefix that joins this group and then runs the rest of the command. */
  enterCommand(): string[] {
    return ['/bin/sh', '-c', ENTER_SCRIPT, 'sh', ...this.procsFiles, '--'];
  }

  /** How many times the kernel killed a process of this group for using too much memory. */
  async oomKills(): Promise<number> {
    const dir = this.#dirs.get('memory');
    if (!dir) return 0;
    return readKey(path.join(dir, this.#version === 2 ? 'memory.events' : 'memory.oom_control'), 'oom_kill');
  }

  /** Bytes of memory the group uses now (0 when memory is not limited). */
  async memoryUsage(): Promise<number> {
    const dir = this.#dirs.get('memory');
    if (!dir) return 0;
    const [n] = await readNumbers(path.join(dir, this.#version === 2 ? 'memory.current' : 'memory.usage_in_bytes'));
    return n ?? 0;
  }

  /** The most memory the group has used so far, in bytes (0 when unknown). */
  async memoryPeak(): Promise<number> {
    const dir = this.#dirs.get('memory');
    if (!dir) return 0;
    const [n] = await readNumbers(path.join(dir, this.#version === 2 ? 'memory.peak' : 'memory.max_usage_in_bytes'));
    return n ?? 0;
  }

  /** Processes and threads in the group now (0 when pids are not limited). */
  async processes(): Promise<number> {
    const dir = this.#dirs.get('pids');
    if (!dir) return 0;
    const [n] = await readNumbers(path.join(dir, 'pids.current'));
    return n ?? 0;
  }

  /** What the group uses now: memory, its peak, processes and out-of-memory kills. */
  async usage(): Promise<SandboxUsage> {
    const [memoryBytes, memoryPeakBytes, processes, oomKills] = await Promise.all([this.memoryUsage(), this.memoryPeak(), this.processes(), this.oomKills()]);
    return { memoryBytes, memoryPeakBytes, processes, oomKills };
  }

  /** Kills every process still in the group and removes it. Idempotent. */
  destroy(): Promise<void> {
    this.#destroyed ??= (async () => {
      const [procs] = this.procsFiles;
      if (procs) await killAndRemove(procs, [...new Set(this.#dirs.values())]);
    })();
    return this.#destroyed;
  }
}

/**
 * The cgroup this process runs in, as a container sees its own (cgroup v2 at /sys/fs/cgroup, or the
 * v1 controllers mounted there): what a pod's agent measures its machine by. Undefined when no
 * memory controller is visible. Never destroyed: it is the container's.
 */
export function ownCgroup(root = '/sys/fs/cgroup'): SandboxCgroup | undefined {
  if (existsSync(path.join(root, 'cgroup.controllers'))) {
    return new SandboxCgroup(2, new Map((['memory', 'pids'] as const).map((c) => [c, root])));
  }
  const dirs = new Map<CgroupController, string>();
  for (const controller of ['memory', 'pids'] as const)
    if (existsSync(path.join(root, controller, 'cgroup.procs'))) dirs.set(controller, path.join(root, controller));
  return dirs.has('memory') ? new SandboxCgroup(1, dirs) : undefined;
}

/**
 * Per-sandbox kernel limits through cgroups: v2 where the host has it (one hierarchy with the
 * memory, pids and cpu controllers), v1 where those controllers are mounted separately. Each
 * server makes `ix-playground/srv-<pid>` and a group per sandbox under it; groups of servers that
 * died are emptied and removed at startup, so nothing of theirs runs on.
 */
export class Cgroups {
  /** What this host enforces. */
  readonly support: CgroupSupport;
  readonly #base: Map<CgroupController, string>;
  readonly #version: 1 | 2 | undefined;

  private constructor(support: CgroupSupport, base: Map<CgroupController, string>) {
    this.support = support;
    this.#base = base;
    this.#version = support.version;
  }

  /** Finds the hierarchies, makes this server's groups and clears groups of dead servers. */
  static async detect(options: CgroupOptions = {}): Promise<Cgroups> {
    const off: CgroupSupport['off'] = {};
    const notRoot = process.getuid?.() !== 0;
    let mountinfo = options.mountinfo;
    if (mountinfo === undefined) {
      try {
        mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
      } catch {
        mountinfo = '';
      }
    }
    const mounts = parseMountinfo(mountinfo);
    const parent = options.parent ?? 'ix-playground';
    const own = `srv-${options.pid ?? process.pid}`;
    const base = new Map<CgroupController, string>();

    const v2 = mounts.find((m) => m.fstype === 'cgroup2');
    let v2Controllers: string[] = [];
    if (v2) {
      try {
        v2Controllers = readFileSync(path.join(v2.point, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
      } catch {
        // no controllers file: treat as empty
      }
    }
    const useV2 = v2 && CGROUP_CONTROLLERS.some((c) => v2Controllers.includes(c));
    const version: 1 | 2 | undefined = useV2
      ? 2
      : CGROUP_CONTROLLERS.some((c) => mounts.some((m) => m.fstype === 'cgroup' && m.options.includes(c)))
        ? 1
        : undefined;

    if (version === 2 && v2) {
      const wanted = CGROUP_CONTROLLERS.filter((c) => v2Controllers.includes(c));
      for (const c of CGROUP_CONTROLLERS) if (!wanted.includes(c)) off[c] = `the cgroup v2 hierarchy at ${v2.point} has no ${c} controller`;
      const top = path.join(v2.point, parent);
      const mine = path.join(top, own);
      try {
        await mkdir(top, { recursive: true });
        const enable = wanted.map((c) => `+${c}`).join(' ');
        await writeFile(path.join(v2.point, 'cgroup.subtree_control'), enable).catch(() => {});
        await writeFile(path.join(top, 'cgroup.subtree_control'), enable);
        await Cgroups.#clearStale(top);
        await mkdir(mine, { recursive: true });
        await writeFile(path.join(mine, 'cgroup.subtree_control'), enable);
        for (const c of wanted) base.set(c, mine);
      } catch (error) {
        const why = `cannot set up ${top}: ${(error as Error).message}${notRoot ? ' (run the server as root, or delegate a cgroup to it)' : ''}`;
        for (const c of wanted) off[c] = why;
      }
    } else if (version === 1) {
      for (const c of CGROUP_CONTROLLERS) {
        const mount = mounts.find((m) => m.fstype === 'cgroup' && m.options.includes(c));
        if (!mount) {
          off[c] = `no cgroup v1 hierarchy has the ${c} controller mounted`;
          continue;
        }
        const top = path.join(mount.point, parent);
        try {
          await mkdir(top, { recursive: true });
          await Cgroups.#clearStale(top);
          await mkdir(path.join(top, own), { recursive: true });
          base.set(c, path.join(top, own));
        } catch (error) {
          off[c] = `cannot make ${top}: ${(error as Error).message}${notRoot ? ' (run the server as root)' : ''}`;
        }
      }
    } else {
      for (const c of CGROUP_CONTROLLERS) off[c] = 'no cgroup hierarchy with this controller is mounted';
    }
    const enforced = CGROUP_CONTROLLERS.filter((c) => base.has(c));
    return new Cgroups({ version: enforced.length ? version : undefined, enforced, off }, base);
  }

  /** Empties and removes the groups of servers that are no longer running. */
  static async #clearStale(top: string): Promise<void> {
    for (const server of await deadServerFolders(top)) {
      let children: string[] = [];
      try {
        children = (await readdir(server, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => path.join(server, e.name));
      } catch {
        continue;
      }
      for (const child of children) await killAndRemove(path.join(child, 'cgroup.procs'), [child]);
      await killAndRemove(path.join(server, 'cgroup.procs'), [server]);
    }
  }

  /** Makes a group for one sandbox with `limits`; undefined when no controller is enforced. */
  async create(name: string, limits: CgroupLimits): Promise<SandboxCgroup | undefined> {
    if (!this.#version || !this.#base.size) return undefined;
    const dirs = new Map<CgroupController, string>();
    const made: string[] = [];
    try {
      for (const [controller, base] of this.#base) {
        const dir = path.join(base, name);
        if (!made.includes(dir)) {
          await mkdir(dir);
          made.push(dir);
        }
        dirs.set(controller, dir);
      }
      await this.#limit(dirs, limits);
    } catch (error) {
      await killAndRemove(path.join(made[0] ?? '/nonexistent', 'cgroup.procs'), made);
      throw error;
    }
    return new SandboxCgroup(this.#version, dirs);
  }

  async #limit(dirs: Map<CgroupController, string>, limits: CgroupLimits): Promise<void> {
    const set = (controller: CgroupController, file: string, value: string | number) => {
      const dir = dirs.get(controller);
      return dir ? writeFile(path.join(dir, file), String(value)) : Promise.resolve();
    };
    const weight = Math.min(10000, Math.max(1, Math.round(limits.cpuWeight)));
    if (this.#version === 2) {
      await set('memory', 'memory.max', limits.memory);
      // Swap would let a sandbox hold more than its limit; where swap exists, none for sandboxes.
      await set('memory', 'memory.swap.max', 0).catch(() => {});
      await set('pids', 'pids.max', limits.pids);
      await set('cpu', 'cpu.weight', weight);
    } else {
      await set('memory', 'memory.limit_in_bytes', limits.memory);
      await set('memory', 'memory.memsw.limit_in_bytes', limits.memory).catch(() => {}); // only with swap accounting
      await set('pids', 'pids.max', limits.pids);
      await set('cpu', 'cpu.shares', Math.max(2, Math.round((weight * 1024) / 100)));
    }
  }

  /** Removes this server's own groups (after every sandbox is gone). */
  async close(): Promise<void> {
    for (const dir of new Set(this.#base.values())) await killAndRemove(path.join(dir, 'cgroup.procs'), [dir]);
  }

  /** One line for the startup log: what is enforced and what is not. */
  describe(): string {
    const { version, enforced, off } = this.support;
    const on = enforced.length ? `${enforced.join(', ')} (cgroup v${version})` : 'none';
    const offText = Object.entries(off).map(([c, why]) => `${c} OFF: ${why}`);
    return [`kernel limits per sandbox: ${on}`, ...offText].join('; ');
  }
}
