// Child processes of a bench and what /proc says about them: process trees, CPU ticks, PSS.
// Every process started here is killed when the bench exits, fails or is interrupted, with every
// descendant we saw it start (sandboxes start their own sessions, so a process-group kill misses them).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Kernel clock ticks per second (utime/stime units in /proc/PID/stat). */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Rejects with `what` if `promise` has not settled within `ms`. */
export function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Fields of /proc/PID/stat we use (times in ticks), or undefined if the process is gone. */
function readStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const f = text.slice(text.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return {
    pid,
    state: f[0],
    ppid: Number(f[1]),
    utime: Number(f[11]),
    stime: Number(f[12]),
    cutime: Number(f[13]),
    cstime: Number(f[14]),
    starttime: Number(f[19]),
  };
}

/** Every process on the host as pid → stat. */
function allStats() {
  const stats = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) stats.set(s.pid, s);
  }
  return stats;
}

/** Stats of `pid` and all its live descendants (by parent pid), root first. */
export function processTree(pid) {
  const stats = allStats();
  const children = new Map();
  for (const s of stats.values()) {
    if (!children.has(s.ppid)) children.set(s.ppid, []);
    children.get(s.ppid).push(s);
  }
  const root = stats.get(pid);
  if (!root) return [];
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i].pid) ?? []));
  return out;
}

/**
 * CPU use of a process tree between two snapshots, in seconds:
 * - `server`: the root's own utime+stime;
 * - `reaped`: cutime+cstime the root gained (children it started and waited for, e.g. task checks);
 * - `descendants`: utime+stime+cutime+cstime gained by live descendants (shells, the programs they
 *   ran and waited for, sandbox processes); a descendant new since `before` counts in full.
 */
export function cpuDelta(before, after) {
  const key = (s) => `${s.pid}:${s.starttime}`;
  const old = new Map(before.map((s) => [key(s), s]));
  const [root, ...rest] = after;
  const root0 = before[0];
  if (!root || !root0) return undefined;
  const total = (s) => s.utime + s.stime + s.cutime + s.cstime;
  let descendants = 0;
  for (const s of rest) descendants += total(s) - (old.has(key(s)) ? total(old.get(key(s))) : 0);
  const server = (root.utime + root.stime - root0.utime - root0.stime) / CLK_TCK;
  const reaped = (root.cutime + root.cstime - root0.cutime - root0.cstime) / CLK_TCK;
  descendants /= CLK_TCK;
  return { server, reaped, descendants, all: server + reaped + descendants };
}

/** Proportional set size of one process in bytes (smaps_rollup), 0 if it is gone. */
function pss(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Number(/^Pss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** A process's name (/proc/PID/comm), or '?' if it is gone. */
function comm(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/**
 * PSS of a process and all its descendants: total bytes, the root's share, the process count, and
 * the descendants by name ({ bash: { count, bytes }, … }).
 */
export function treePss(pid) {
  const tree = processTree(pid);
  let total = 0;
  let root = 0;
  const byName = {};
  for (const s of tree) {
    const p = pss(s.pid);
    total += p;
    if (s.pid === pid) {
      root = p;
      continue;
    }
    const name = comm(s.pid);
    byName[name] ??= { count: 0, bytes: 0 };
    byName[name].count++;
    byName[name].bytes += p;
  }
  return { total, root, processes: tree.length, byName };
}

/** VmRSS of one process in bytes. */
export function rss(pid) {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Started processes, and the cleanup that never leaves one behind.

const started = new Set();

/** Processes whose command line names a path inside `folder` (a private folder only our sandboxes use). */
function processesMentioning(folder) {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(`${folder}/`)) found.push(Number(name));
    } catch {
      // gone
    }
  }
  return found;
}

function killPid(pid, signal = 'SIGKILL') {
  try {
    process.kill(pid, signal);
  } catch {
    // gone
  }
}

/** SIGKILLs what is left of a started process: its tree as last seen, and anything naming its marker. */
function reap(entry) {
  for (const s of entry.lastTree) {
    const now = readStat(s.pid);
    if (now && now.starttime === s.starttime && now.state !== 'Z') killPid(s.pid);
  }
  if (entry.marker) for (const pid of processesMentioning(entry.marker)) killPid(pid);
}

/**
 * Starts `node [nodeArgs] file` as a child with its own process group, keeping the last lines of
 * its output. `marker`: a folder that every sandbox it starts names in its command line (swept on stop).
 */
export function startNode(name, file, { env = {}, nodeArgs = [], cwd, marker } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, file], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lines = [];
  const keep = (chunk) => {
    lines.push(chunk.toString());
    if (lines.length > 100) lines.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const entry = {
    name,
    child,
    pid: child.pid,
    marker,
    lastTree: [],
    exited,
    log: () => lines.join(''),
    alive: () => child.exitCode === null && child.signalCode === null,
    /** Remembers the current tree, so a crash or a kill still finds every descendant. */
    remember() {
      if (this.alive()) this.lastTree = processTree(child.pid);
    },
    /** SIGTERM, up to `graceMs` to exit (servers end their sessions), then SIGKILL everything left. */
    async stop(graceMs = 10_000) {
      this.remember();
      if (this.alive()) {
        killPid(child.pid, 'SIGTERM');
        const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
        if (!done) killPid(-child.pid);
        await Promise.race([exited, sleep(2000)]);
      }
      killPid(-child.pid);
      reap(this);
      started.delete(entry);
    },
  };
  started.add(entry);
  // A cheap periodic snapshot, so an abrupt exit of the bench still knows what to kill.
  const snap = setInterval(() => entry.remember(), 10_000);
  snap.unref();
  exited.then(() => clearInterval(snap));
  return entry;
}

/** Synchronous last resort (process exit, signals): kills every started process and what it left. */
function killEverything() {
  for (const entry of started) {
    killPid(entry.pid);
    killPid(-entry.pid);
    reap(entry);
  }
  started.clear();
  for (const fn of exitHooks) {
    try {
      fn();
    } catch {
      // best effort
    }
  }
}

const exitHooks = new Set();
/** Runs `fn` (synchronously) when the bench exits or is interrupted; for browsers and temp folders. */
export function onExit(fn) {
  exitHooks.add(fn);
  return () => exitHooks.delete(fn);
}

let installed = false;
/** Kills everything on exit and on SIGINT/SIGTERM/SIGHUP; call once at the top of a bench. */
export function installCleanup(label) {
  if (installed) return;
  installed = true;
  process.on('exit', killEverything);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      console.error(`${label}: ${signal}, stopping everything`);
      killEverything();
      process.exit(130);
    });
  }
}
