import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { ErrorCode, PlaygroundError, asPlaygroundError } from '../errors.js';

/** A saved playground: what a page is told about it. */
export interface SnapshotInfo {
  /** The snapshot's id: also what `fork` needs, so share it only with people who may copy it. */
  id: string;
  /** The playground it is of. */
  playground: string;
  /** When it was saved (ISO 8601). */
  createdAt: string;
  /** When it is deleted (ISO 8601). */
  expiresAt: string;
  /** Bytes it takes. */
  sizeBytes: number;
}

/** The saved files of a session's machines, by machine name: each opens a tar stream (what `exportFiles` gave). */
export type SavedFiles = ReadonlyMap<string, () => Readable>;

/** What is stored beside a snapshot's files. */
interface Meta extends SnapshotInfo {
  /** A hash of the owner (a signed token's user, or an anonymous key the page keeps). */
  owner: string;
  /** The machines whose files it holds. */
  machines: string[];
}

/** Options of a {@link SnapshotStore}. */
export interface SnapshotStoreOptions {
  /** The folder snapshots live in. */
  dir: string;
  /** The most bytes one snapshot may take (IX_SNAPSHOT_MAX). */
  maxBytes: number;
  /** How long a snapshot is kept (IX_SNAPSHOT_TTL). */
  ttlMs: number;
}

/** A hash of an owner, so the store never holds an anonymous key itself. */
export function ownerHash(owner: string): string {
  return createHash('sha256').update(`ix-playground-owner:${owner}`).digest('base64url');
}

/**
 * Saved playgrounds: per machine, a tar of the files a learner changed (the home folder, or a
 * machine's writable layer), in the server's state folder. Each belongs to an owner, is
 * size-limited, and expires. Processes are not saved: a restored session starts fresh processes
 * on the saved files.
 */
export class SnapshotStore {
  readonly #options: SnapshotStoreOptions;
  #sweep: ReturnType<typeof setInterval>;

  constructor(options: SnapshotStoreOptions) {
    this.#options = options;
    this.#sweep = setInterval(() => void this.removeExpired(), 60 * 60_000);
    this.#sweep.unref();
    void this.removeExpired();
  }

  /**
   * Saves a session's machines: `exports` gives a tar stream per machine. Refused past the size
   * limit. Answers what the page shows.
   */
  async save(owner: string, playground: string, exports: { machine: string; tar: () => Promise<Readable> }[]): Promise<SnapshotInfo> {
    const id = randomBytes(18).toString('base64url');
    const dir = path.join(this.#options.dir, id);
    const building = `${dir}.saving`;
    await mkdir(building, { recursive: true, mode: 0o700 });
    try {
      let sizeBytes = 0;
      for (const { machine, tar } of exports) {
        const file = path.join(building, `${machine}.tar`);
        await pipeline(await tar(), limit(this.#options.maxBytes - sizeBytes), createWriteStream(file, { mode: 0o600 }));
        sizeBytes += (await stat(file)).size;
      }
      const now = Date.now();
      const meta: Meta = {
        id,
        playground,
        owner: ownerHash(owner),
        machines: exports.map((e) => e.machine),
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + this.#options.ttlMs).toISOString(),
        sizeBytes,
      };
      await writeFile(path.join(building, 'meta.json'), JSON.stringify(meta));
      await rename(building, dir);
      return info(meta);
    } catch (error) {
      await rm(building, { recursive: true, force: true });
      throw asPlaygroundError(error, ErrorCode.Sandbox, `cannot save the playground: ${(error as Error).message}`);
    }
  }

  /**
   * The files of snapshot `id` for a new session: for `restore` only its owner may have them;
   * `fork` needs only the id (whoever has it may start a copy). Answers a tar stream per machine.
   */
  async open(id: string, owner: string | undefined, mode: 'restore' | 'fork'): Promise<{ meta: SnapshotInfo; files: SavedFiles }> {
    const meta = await this.#meta(id);
    if (!meta) throw new PlaygroundError(ErrorCode.NotFound, `no saved playground ${id.slice(0, 40)} (it may have expired)`);
    if (mode === 'restore' && (!owner || ownerHash(owner) !== meta.owner))
      throw new PlaygroundError(ErrorCode.Unauthorized, 'that saved playground belongs to someone else');
    const dir = path.join(this.#options.dir, meta.id);
    return { meta: info(meta), files: new Map(meta.machines.map((m) => [m, () => createReadStream(path.join(dir, `${m}.tar`))])) };
  }

  /** The owner's snapshots of a playground, newest first. */
  async list(owner: string, playground?: string): Promise<SnapshotInfo[]> {
    const hash = ownerHash(owner);
    const all = await this.#all();
    return all
      .filter((m) => m.owner === hash && (!playground || m.playground === playground))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .map(info);
  }

  /** Deletes the snapshots past their time. */
  async removeExpired(): Promise<void> {
    const now = new Date().toISOString();
    for (const meta of await this.#all()) if (meta.expiresAt < now) await rm(path.join(this.#options.dir, meta.id), { recursive: true, force: true });
  }

  /** Stops the expiry sweep. */
  close(): void {
    clearInterval(this.#sweep);
  }

  async #meta(id: string): Promise<Meta | undefined> {
    if (!/^[A-Za-z0-9_-]{10,64}$/.test(id)) return undefined;
    try {
      const meta = JSON.parse(await readFile(path.join(this.#options.dir, id, 'meta.json'), 'utf8')) as Meta;
      return meta.expiresAt < new Date().toISOString() ? undefined : meta;
    } catch {
      return undefined;
    }
  }

  async #all(): Promise<Meta[]> {
    let names: string[] = [];
    try {
      names = (await readdir(this.#options.dir)).filter((n) => !n.endsWith('.saving'));
    } catch {
      return [];
    }
    const metas = await Promise.all(names.map((n) => this.#meta(n)));
    return metas.filter((m): m is Meta => m !== undefined);
  }
}

function info(meta: Meta): SnapshotInfo {
  const { id, playground, createdAt, expiresAt, sizeBytes } = meta;
  return { id, playground, createdAt, expiresAt, sizeBytes };
}

/** A pass-through that fails once more than `max` bytes went through. */
function limit(max: number) {
  let seen = 0;
  return async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      seen += chunk.length;
      if (seen > max)
        throw new PlaygroundError(ErrorCode.Limit, `the playground's files are over the ${Math.round(max / 2 ** 20)} MiB a saved playground may take`);
      yield chunk;
    }
  };
}
