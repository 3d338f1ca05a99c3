/** Who a command runs as inside a machine, and where. */
export interface EnterOptions {
  /** The uid and gid inside the machine's user namespace. */
  uid: number;
  gid: number;
  /** The working folder inside; by default the target's own (nsenter `-w`). */
  cwd?: string;
  /** Enter the machine's cgroup namespace too (machines have one of their own). */
  cgroupNamespace?: boolean;
}

/**
 * The command prefix that runs a program in every namespace of the running machine whose pid 1
 * (on the host) is `pid`: its user, mount, pid, network, ipc and uts namespaces, its root, as
 * `uid`/`gid` inside.
 */
export function enterMachine(pid: number, options: EnterOptions): string[] {
  return [
    'nsenter',
    '-t',
    String(pid),
    '-U',
    '-m',
    '-p',
    '-n',
    '-i',
    '-u',
    ...(options.cgroupNamespace ? ['-C'] : []),
    '-r',
    ...(options.cwd ? ['-W', options.cwd] : ['-w']),
    '-S',
    String(options.uid),
    '-G',
    String(options.gid),
    '--',
  ];
}

/** The command prefix that runs a host program in the network namespace of `pid` only (port forwarding). */
export function enterNetwork(pid: number): string[] {
  return ['nsenter', '-t', String(pid), '-n', '--'];
}
