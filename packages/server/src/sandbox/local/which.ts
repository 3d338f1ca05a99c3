import { spawnSync } from 'node:child_process';

/** The path of a program on PATH, or undefined. */
export function which(program: string): string | undefined {
  const result = spawnSync('sh', ['-c', 'command -v "$0"', program], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}
