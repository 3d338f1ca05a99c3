import { readdirSync, readFileSync } from 'node:fs';

/**
 * Descriptors kept free for the sessions already running (their checks, tabs and connections):
 * a new session is refused before its sandbox is made when fewer than this many are left.
 */
export const DESCRIPTOR_RESERVE = 32;

let limit: number | undefined | null = null;

/** This process's soft limit on open files, from /proc (undefined where it cannot be read or is unlimited); read once. */
export function descriptorLimit(): number | undefined {
  if (limit === null) {
    try {
      const line = readFileSync('/proc/self/limits', 'utf8')
        .split('\n')
        .find((l) => l.startsWith('Max open files'));
      const soft = Number(line?.split(/\s{2,}/)[1]);
      limit = Number.isFinite(soft) ? soft : undefined;
    } catch {
      limit = undefined;
    }
  }
  return limit;
}

/**
 * How many descriptors this process has open and may open, where Linux tells (undefined
 * elsewhere). The server checks it before making a sandbox: a spawn that fails for want of
 * descriptors (EMFILE) leaks the pipes Node made for it, so running into the limit over and over
 * would keep it there; refusing early, with descriptors to spare, lets it recover.
 */
export function descriptorUse(): { open: number; limit: number } | undefined {
  const max = descriptorLimit();
  if (max === undefined) return undefined;
  try {
    return { open: readdirSync('/proc/self/fd').length, limit: max };
  } catch {
    return undefined;
  }
}
