/** What goes into a machine's OCI runtime spec. */
export interface MachineRuntimeOptions {
  /** Path of the root filesystem (the merged overlay). */
  root: string;
  /** Host name inside. */
  hostname: string;
  /** Host uid/gid that uid/gid 0 inside maps to, and how many ids are mapped. */
  uidBase: number;
  uidCount: number;
  /** Bytes of the machine's memory limit (tmpfs are sized from it). */
  memory: number;
  /** Files bind-mounted over the image's: /etc/hosts, /etc/hostname, /etc/resolv.conf. */
  etc: { hosts: string; hostname: string; resolv: string };
}

/**
 * The capabilities root inside a machine has, all within its own user namespace: enough for
 * `apt-get`, `chown`, `ip`, `mount` of tmpfs and overlay, and `unshare`; none of them reaches the host.
 */
const CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_SETFCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_SYS_CHROOT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_PTRACE',
  'CAP_MKNOD',
  'CAP_AUDIT_WRITE',
];

/** A tmpfs of a share of the memory limit (its pages count against the limit). */
function tmpfs(destination: string, memory: number, share: number, mode: string, extra: string[] = []) {
  const size = Math.max(4 * 1024 * 1024, Math.floor(memory * share));
  return { destination, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', `mode=${mode}`, `size=${size}`, ...extra] };
}

/**
 * The OCI runtime spec (config.json) of one machine: root inside a user namespace that maps an
 * unprivileged host range, its own pid, mount, network, ipc, uts and cgroup namespaces, sized
 * tmpfs, and a pid 1 that only waits (shells and checks enter the machine beside it). The same
 * spec, with the image, is what a pod would run.
 */
export function machineRuntimeSpec(options: MachineRuntimeOptions): Record<string, unknown> {
  const ids = { containerID: 0, hostID: options.uidBase, size: options.uidCount };
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      // Any image with a shell: `sleep infinity` where sleep knows it, a long sleep loop otherwise.
      // Its stdio is let go at once, so the runtime's caller sees it finish starting.
      args: ['/bin/sh', '-c', 'exec </dev/null >/dev/null 2>&1; trap "exit 0" TERM; sleep infinity || while :; do sleep 86400; done'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm-256color', 'HOME=/root'],
      cwd: '/',
      capabilities: { bounding: CAPABILITIES, effective: CAPABILITIES, permitted: CAPABILITIES },
      noNewPrivileges: false,
    },
    root: { path: options.root, readonly: false },
    hostname: options.hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      tmpfs('/dev', options.memory, 1 / 64, '755', ['strictatime']),
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      tmpfs('/dev/shm', options.memory, 1 / 8, '1777', ['noexec']),
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      tmpfs('/tmp', options.memory, 1 / 4, '1777'),
      tmpfs('/run', options.memory, 1 / 32, '755'),
      { destination: '/etc/hosts', type: 'bind', source: options.etc.hosts, options: ['bind', 'rw'] },
      { destination: '/etc/hostname', type: 'bind', source: options.etc.hostname, options: ['bind', 'rw'] },
      { destination: '/etc/resolv.conf', type: 'bind', source: options.etc.resolv, options: ['bind', 'rw'] },
    ],
    linux: {
      uidMappings: [ids],
      gidMappings: [ids],
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'user' }, { type: 'cgroup' }, { type: 'network' }],
      maskedPaths: [
        '/proc/acpi',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/proc/scsi',
        '/sys/firmware',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
