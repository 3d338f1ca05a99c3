import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { run } from './run-command.js';

/** Whether home folders get a size the kernel enforces, and why not. */
export interface DiskSupport {
  /** True when each home is its own size-limited filesystem. */
  enforced: boolean;
  /** Why not, when not. */
  reason?: string;
}

/** Makes a sparse file of `size` bytes. */
async function sparseFile(file: string, size: number): Promise<void> {
  const handle = await open(file, 'wx', 0o600);
  try {
    await handle.truncate(size);
  } finally {
    await handle.close();
  }
}

/**
 * Home folders with a disk limit the kernel enforces: each home is an ext4 filesystem in a sparse
 * image file of the limit's size, loop-mounted on the host (so it costs only what is written).
 * A full home answers "No space left on device" inside that sandbox only. Needs root (mount);
 * without it homes are plain folders and {@link support} says so.
 */
export class HomeDisks {
  /** Whether limits are enforced on this host. */
  readonly support: DiskSupport;

  private constructor(support: DiskSupport) {
    this.support = support;
  }

  /** Checks, once, that this host can make and mount a small image under `probeDir`. */
  static async detect(probeDir: string): Promise<HomeDisks> {
    if (process.getuid?.() !== 0) return new HomeDisks({ enforced: false, reason: 'mounting a size-limited home needs the server to run as root' });
    const dir = path.join(probeDir, `disk-probe-${process.pid}`);
    try {
      await mkdir(dir, { recursive: true });
      const disk = await HomeDisks.#make(dir, 8 * 1024 * 1024, 0);
      await disk.dispose();
      return new HomeDisks({ enforced: true });
    } catch (error) {
      return new HomeDisks({ enforced: false, reason: `cannot mount an ext4 image (${(error as Error).message}); install e2fsprogs and allow loop devices` });
    } finally {
      await rm(dir, { recursive: true, force: true }).catch(() => {});
    }
  }

  /**
   * Makes `dir/<name>` (default `home`) a filesystem of `size` bytes owned by `owner` (a host uid),
   * or a plain folder when limits are not enforced here.
   */
  async create(dir: string, size: number, owner: number, name = 'home'): Promise<HomeDisk> {
    if (!this.support.enforced) {
      const home = path.join(dir, name);
      await mkdir(home, { mode: 0o700 });
      return new HomeDisk(home, undefined);
    }
    return HomeDisks.#make(dir, size, owner, name);
  }

  static async #make(dir: string, size: number, owner: number, name = 'home'): Promise<HomeDisk> {
    const image = path.join(dir, `${name}.img`);
    const home = path.join(dir, name);
    await mkdir(home, { mode: 0o700 });
    await sparseFile(image, size);
    try {
      // No journal, no reserved blocks: a throwaway filesystem whose every byte is the learner's.
      await run('mkfs.ext4', [
        '-q',
        '-F',
        '-m',
        '0',
        '-O',
        '^has_journal,^resize_inode',
        '-E',
        `lazy_itable_init=1,nodiscard,root_owner=${owner}:${owner}`,
        image,
      ]);
      await run('mount', ['-t', 'ext4', '-o', 'loop,nosuid,nodev,noatime', image, home]);
    } catch (error) {
      await rm(image, { force: true });
      throw error;
    }
    await rm(path.join(home, 'lost+found'), { recursive: true, force: true });
    return new HomeDisk(home, image);
  }
}

/** One sandbox's home folder; with an image behind it when the disk limit is enforced. */
export class HomeDisk {
  /** The folder on the host. */
  readonly path: string;
  readonly #image: string | undefined;
  #disposed: Promise<void> | undefined;

  constructor(home: string, image: string | undefined) {
    this.path = home;
    this.#image = image;
  }

  /** Unmounts and deletes the home. Idempotent. Call after every process using it is gone. */
  dispose(): Promise<void> {
    this.#disposed ??= (async () => {
      if (this.#image) {
        // A process that has not finished dying can keep it busy for a moment; then detach lazily.
        await run('umount', [this.path]).catch(() => run('umount', ['-l', this.path]).catch(() => {}));
        await rm(this.#image, { force: true });
      }
      await rm(this.path, { recursive: true, force: true }).catch(() => {});
    })();
    return this.#disposed;
  }
}
