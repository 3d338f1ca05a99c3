import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, lchown, lstat, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SandboxError } from '../../errors.js';
import { describeImage, type ImageSpec } from '../../manifest/manifest-schema.js';
import { processAlive } from '../local/proc.js';

/** The images this store makes on this host: Debian builds and local OCI layouts (not registry pulls). */
export type LocalImage = Exclude<ImageSpec, { ref: string }>;

/** True when the image is one this store can make. */
export function isLocalImage(image: ImageSpec): image is LocalImage {
  return !('ref' in image);
}

/** Packages every Debian machine gets besides the author's: what a lab's first commands need. */
export const BASE_PACKAGES = ['iproute2', 'iputils-ping', 'procps', 'mount', 'ncurses-base', 'less', 'ca-certificates'];

/** Bump to rebuild every cached image (a change in how images are made). */
const FORMAT = 1;

/** Options of an {@link ImageStore}. */
export interface ImageStoreOptions {
  /** Where built images are kept (one folder per image spec). */
  cacheDir: string;
  /** Host uid (and gid) that root inside machines maps to; image files are owned from here up. */
  uidBase: number;
  /** Debian mirror for mmdebstrap (default http://deb.debian.org/debian). */
  mirror?: string;
  /** Progress lines while an image builds (default: the console). */
  log?: (line: string) => void;
}

/**
 * Root filesystems for machines, built once per spec and shared read-only by every machine that
 * runs it (each machine writes to its own overlay layer). Debian images are built with mmdebstrap
 * from Debian's packages; OCI images are unpacked from a local image layout with umoci. Files are
 * owned by the unprivileged range that root inside machines maps to, so root inside owns them.
 */
export class ImageStore {
  readonly #options: Required<ImageStoreOptions>;
  readonly #building = new Map<string, Promise<string>>();

  constructor(options: ImageStoreOptions) {
    this.#options = { mirror: 'http://deb.debian.org/debian', log: (line) => console.log(`[ix-playground] ${line}`), ...options };
  }

  /** The rootfs folder of an image: built now if it is not cached; concurrent callers share one build. */
  async rootfs(spec: LocalImage): Promise<string> {
    const key = await this.#key(spec);
    const dir = path.join(this.#options.cacheDir, 'images', key);
    if (existsSync(path.join(dir, 'ready'))) return path.join(dir, 'rootfs');
    let build = this.#building.get(key);
    if (!build) {
      build = this.#locked(dir, () => this.#build(spec, dir)).finally(() => this.#building.delete(key));
      this.#building.set(key, build);
    }
    return build;
  }

  /**
   * Builds under a lock file, so that servers sharing a cache build each image once: a second
   * server waits for the first one's build (bounded), or takes over when the first one died.
   */
  async #locked(dir: string, build: () => Promise<string>): Promise<string> {
    const lock = `${dir}.lock`;
    await mkdir(path.dirname(dir), { recursive: true });
    for (let waited = 0; ; waited += 500) {
      if (existsSync(path.join(dir, 'ready'))) return path.join(dir, 'rootfs');
      try {
        await writeFile(lock, String(process.pid), { flag: 'wx' });
        break;
      } catch {
        const holder = Number(await readFile(lock, 'utf8').catch(() => '0'));
        if (!holder || !processAlive(holder)) {
          await rm(lock, { force: true });
          continue;
        }
        if (waited === 0) this.#options.log(`waiting for another server's build of an image (pid ${holder})`);
        if (waited > 15 * 60_000) throw new SandboxError(`gave up waiting for pid ${holder} to build the image in ${dir}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    try {
      if (existsSync(path.join(dir, 'ready'))) return path.join(dir, 'rootfs');
      return await build();
    } finally {
      await rm(lock, { force: true });
    }
  }

  async #key(spec: LocalImage): Promise<string> {
    const identity =
      'debian' in spec
        ? { debian: spec.debian, packages: [...new Set([...BASE_PACKAGES, ...spec.packages])].sort(), mirror: this.#options.mirror }
        : { oci: await ociDigest(spec.oci) };
    return createHash('sha256')
      .update(JSON.stringify({ FORMAT, uidBase: this.#options.uidBase, ...identity }))
      .digest('hex')
      .slice(0, 24);
  }

  async #build(spec: LocalImage, dir: string): Promise<string> {
    const log = this.#options.log;
    const tmp = `${dir}.building-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const rootfs = path.join(tmp, 'rootfs');
    const started = Date.now();
    log(`building image ${describeImage(spec)} (once; later sessions reuse it)`);
    try {
      if ('debian' in spec) {
        const packages = [...new Set([...BASE_PACKAGES, ...spec.packages])];
        await runLogged('mmdebstrap', ['--mode=root', '--variant=apt', `--include=${packages.join(',')}`, spec.debian, rootfs, this.#options.mirror], log);
      } else {
        await runLogged('umoci', ['unpack', '--image', spec.oci, path.join(tmp, 'bundle')], log);
        await rename(path.join(tmp, 'bundle', 'rootfs'), rootfs);
        await rm(path.join(tmp, 'bundle'), { recursive: true, force: true });
      }
      await shiftOwners(rootfs, this.#options.uidBase);
      await writeFile(path.join(tmp, 'spec.json'), JSON.stringify(spec, null, 2));
      await writeFile(path.join(tmp, 'ready'), new Date().toISOString());
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
    } catch (error) {
      await rm(tmp, { recursive: true, force: true }).catch(() => {});
      throw new SandboxError(`cannot build the image ${describeImage(spec)}: ${(error as Error).message}`, { cause: error });
    }
    log(`image ${describeImage(spec)} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return path.join(dir, 'rootfs');
  }
}

/** The digest of the manifest an OCI layout's tag names (so a changed layout is a new image). */
async function ociDigest(reference: string): Promise<string> {
  const [layout = '', tag] = reference.split(/:(?=[^:]*$)/);
  let index: { manifests?: { digest?: string; annotations?: Record<string, string> }[] };
  try {
    index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as typeof index;
  } catch (error) {
    throw new SandboxError(`${layout} is not an OCI image layout (no readable index.json): ${(error as Error).message}`);
  }
  const manifests = index.manifests ?? [];
  const match = tag ? manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag) : manifests.length === 1 ? manifests[0] : undefined;
  if (!match?.digest) {
    const tags = manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']).filter(Boolean);
    throw new SandboxError(`${reference}: no such image in the layout${tags.length ? ` (tags: ${tags.join(', ')})` : ''}`);
  }
  return match.digest;
}

/** Runs a build step, passing its output on as progress lines (bounded), failing with its last lines. */
function runLogged(command: string, args: string[], log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let tail = '';
    let lines = 0;
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' } });
    const take = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
      for (const line of chunk.toString().split('\n')) {
        // mmdebstrap says what it does in "I: …" lines: enough to show progress, not every package.
        if (/^I: /.test(line) && lines++ < 200) log(`  ${command}: ${line.slice(3)}`);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (error) => reject(new Error(`${command}: ${error.message} (install the "${command}" package)`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${tail.trim().split('\n').slice(-5).join(' | ')}`))));
  });
}

/**
 * Moves every file's owner up by `base` (uid 0 → base), so the files belong to the unprivileged range
 * root inside machines maps to. chown clears setuid and setgid bits, so those are put back.
 */
async function shiftOwners(root: string, base: number): Promise<void> {
  const shift = async (file: string) => {
    const st = await lstat(file);
    await lchown(file, st.uid + base, st.gid + base);
    if (!st.isSymbolicLink() && st.mode & 0o6000) await chmod(file, st.mode & 0o7777);
    return st;
  };
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      await shift(full);
      if (entry.isDirectory()) await walk(full);
    }
  };
  await shift(root);
  await walk(root);
}
