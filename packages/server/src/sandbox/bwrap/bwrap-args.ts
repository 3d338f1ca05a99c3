import type { MachineSpec } from '../sandbox.js';

/** The learner's account inside a bwrap sandbox. */
export const LEARNER = { user: 'learner', uid: 1000, home: '/home/learner' } as const;

/** One top-level entry of the host's merged-/usr system: a folder bound read-only, or a symlink made again. */
export type SystemEntry = { bind: string } | { symlink: string; target: string };

/** The host files a sandbox is made of (all made by the driver in the session's folder). */
export interface SandboxPaths {
  /** The learner's home on the host (the home disk's mount point). */
  home: string;
  /** The passwd and group files that name the learner. */
  passwd: string;
  group: string;
  /** The fifo whose first line lets the sandbox's pid 1 become the login shell. */
  go: string;
}

/** Bytes of a tmpfs inside the sandbox: a share of the memory limit (tmpfs pages count against it). */
export function tmpfsSize(memory: number, share: number): string {
  return String(Math.max(4 * 1024 * 1024, Math.floor(memory * share)));
}

/**
 * bwrap's arguments for a sandbox: every namespace new (the network too, unless the manifest asks
 * for it), the host's system and /etc read-only, a passwd of its own, the learner's home as the
 * only writable disk, every RAM-backed place sized, the root and /dev read-only, pid 1 a shell
 * that waits for the go line and then becomes the login shell. A pure function: what the security
 * of a bwrap session rests on is here, in one list its unit tests read.
 */
export function bwrapArgs(
  machine: Pick<MachineSpec, 'hostname' | 'limits'>,
  paths: SandboxPaths,
  system: readonly SystemEntry[],
  pid1Script: string,
): string[] {
  const { limits, hostname } = machine;
  const tmpfs = (share: number, point: string) => ['--size', tmpfsSize(limits.memory, share), '--tmpfs', point];
  return [
    '--unshare-all',
    ...(limits.network ? ['--share-net'] : []),
    '--as-pid-1',
    '--die-with-parent',
    '--uid',
    String(LEARNER.uid),
    '--gid',
    String(LEARNER.uid),
    '--hostname',
    hostname,
    ...system.flatMap((entry) => ('bind' in entry ? ['--ro-bind', entry.bind, entry.bind] : ['--symlink', entry.target, entry.symlink])),
    '--ro-bind',
    '/etc',
    '/etc',
    '--ro-bind',
    paths.passwd,
    '/etc/passwd',
    '--ro-bind',
    paths.group,
    '/etc/group',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    // Every writable RAM-backed place has a size; together they stay well under the memory limit.
    ...tmpfs(1 / 8, '/dev/shm'),
    ...tmpfs(1 / 4, '/tmp'),
    ...tmpfs(1 / 32, '/run'),
    '--ro-bind',
    paths.go,
    '/run/ix-go',
    ...tmpfs(1 / 8, '/var/tmp'),
    '--bind',
    paths.home,
    LEARNER.home,
    // The root and /dev are tmpfs that bwrap made for mount points: read-only once they exist.
    '--remount-ro',
    '/dev',
    '--remount-ro',
    '/',
    '--chdir',
    LEARNER.home,
    // No --new-session: the pty is the learner's own terminal, which job control and Ctrl-C need
    // as the controlling terminal; nothing outside the sandbox reads from it.
    '--',
    '/bin/bash',
    '-c',
    pid1Script,
  ];
}

/** The passwd file of a sandbox: root (no login) and the learner. */
export function passwdFile(): string {
  return `root:x:0:0:root:/root:/usr/sbin/nologin\n${LEARNER.user}:x:${LEARNER.uid}:${LEARNER.uid}:Learner:${LEARNER.home}:/bin/bash\n`;
}

/** The group file of a sandbox. */
export function groupFile(): string {
  return `root:x:0:\n${LEARNER.user}:x:${LEARNER.uid}:\n`;
}
