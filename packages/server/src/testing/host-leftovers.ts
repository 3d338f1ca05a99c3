// What sandboxes of this test process left on the host, for the driver contract's "dispose leaves
// nothing": processes, session folders, mounts, cgroups, network namespaces. Not shipped.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Host pids (not this process) whose command line, arguments joined by spaces, contains `needle`. */
export function processesWith(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').includes(needle)) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/** Paths of the entries of `dir` whose name matches (folders only, with `folders`). */
function entries(dir: string, match: RegExp, folders = false): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => match.test(entry.name) && (!folders || entry.isDirectory()))
      .map((entry) => path.join(dir, entry.name));
  } catch {
    return [];
  }
}

/** Mount points at or under `dir`. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === dir || point.startsWith(dir + '/'));
}

/** The cgroups of this process's sandboxes (groups under every hierarchy's `ix-playground/srv-<pid>`). */
export function sandboxCgroups(): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => / - cgroup2? /.test(line))
    .map((line) => line.split(' ')[4] ?? '');
  return [...new Set(points)].flatMap((point) => entries(path.join(point, 'ix-playground', `srv-${process.pid}`), /./, true));
}

/**
 * Everything of this process's sandboxes still on the host: processes whose command line holds
 * `marker`, `ix-*` session folders in `stateDir` and mounts under it, sandbox cgroups, and the
 * network namespaces of machines (`ixs-<pid>-*`).
 */
export function hostLeftovers(marker: string, stateDir: string): string[] {
  return [
    ...processesWith(marker).map((pid) => `process ${pid} (${marker})`),
    ...entries(stateDir, /^ix-/),
    ...mountsUnder(stateDir).map((point) => `mount ${point}`),
    ...sandboxCgroups().map((dir) => `cgroup ${dir}`),
    ...entries('/run/netns', new RegExp(`^ixs-${process.pid}-`)).map((ns) => `network namespace ${ns}`),
  ];
}
