import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MachineSpec } from './sandbox.js';

/** Writes the manifest's files into a home folder, with their modes (not masked by the umask). */
export async function seedFiles(home: string, files: MachineSpec['files']): Promise<void> {
  for (const file of files) {
    const target = path.join(home, file.path);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
    const mode = file.mode ? parseInt(file.mode, 8) : 0o644;
    await writeFile(target, file.content, { mode });
    await chmod(target, mode);
  }
}
