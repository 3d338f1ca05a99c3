import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';

/** True while a host process exists (a zombie counts; EPERM means it exists but is not ours). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command name of process `pid` (its `comm`), or undefined once it is gone. */
export async function commandOf(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** The first child of process `pid`, or undefined (none yet, or `pid` is gone). */
export async function childOf(pid: number): Promise<number | undefined> {
  if (!pid) return undefined;
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    const first = text.trim().split(/\s+/)[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves once `pid` has exited (gone or a zombie), or after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pid && Date.now() < deadline) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      if (/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))) return;
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The `srv-<pid>` folders under `top` whose server is no longer running: each server keeps its
 * state (session folders, cgroups) in one named for its pid, and the next one to start clears them.
 */
export async function deadServerFolders(top: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(top);
  } catch {
    return [];
  }
  return entries.filter((name) => /^srv-\d+$/.test(name) && !processAlive(Number(name.slice(4)))).map((name) => path.join(top, name));
}

/** The mount points of this process's mount namespace, from /proc/self/mountinfo (unescaped). */
export async function mountPoints(): Promise<string[]> {
  try {
    return (await readFile('/proc/self/mountinfo', 'utf8'))
      .split('\n')
      .map((l) => (l.split(' ')[4] ?? '').replace(/\\040/g, ' '))
      .filter(Boolean);
  } catch {
    return [];
  }
}

/** The sessions of `sessions` that still have a process. */
export async function liveSessions(sessions: ReadonlySet<number>): Promise<Set<number>> {
  return new Set((await membersOf(sessions)).map((m) => m.session));
}

/** The host pids of every process whose session id is one of `sessions`, with that session. */
async function membersOf(sessions: ReadonlySet<number>): Promise<{ pid: number; session: number }[]> {
  const found: { pid: number; session: number }[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid pgrp session …: the fields after the command name, which may hold spaces.
    const session = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
    if (sessions.has(session)) found.push({ pid: Number(entry), session });
  }
  return found;
}

/**
 * Kills (SIGKILL) every process in the given sessions (`setsid` groups: a shell on a pty and all
 * it started, background jobs included), until none is left or a few rounds have passed (a
 * process may fork while the round runs).
 */
export async function killSessions(sessions: ReadonlySet<number>): Promise<void> {
  for (let round = 0; round < 5 && sessions.size; round++) {
    const members = await membersOf(sessions);
    if (!members.length) return;
    for (const { pid } of members) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
}
