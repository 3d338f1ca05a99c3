import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MachineSpec } from '../sandbox.js';

/**
 * Writes the manifest's files into a home folder, with their modes (not masked by the umask).
 * With `owner`, every folder made on the way and every file belong to that host uid (and gid).
 */
export async function seedFiles(home: string, files: MachineSpec['files'], owner?: number): Promise<void> {
  for (const file of files) {
    const target = path.join(home, file.path);
    let at = home;
    for (const part of path.relative(home, path.dirname(target)).split(path.sep).filter(Boolean)) {
      at = path.join(at, part);
      await mkdir(at, { mode: 0o755 }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
      if (owner !== undefined) await chown(at, owner, owner);
    }
    const mode = file.mode ? parseInt(file.mode, 8) : 0o644;
    await writeFile(target, file.content, { mode });
    await chmod(target, mode);
    if (owner !== undefined) await chown(target, owner, owner);
  }
}
