// The server as an operator runs it (dist/main.js, bwrap sandboxes, a warm pool), stopped while
// sessions are being created: nothing of any sandbox may outlive it.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BwrapDriver } from '../sandbox/bwrap/bwrap-driver.js';
import { waitFor } from '../testing/clients.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.join(here, '..', 'main.js');
const PLAYGROUNDS = path.resolve(here, '../../../../examples/playgrounds');

let canSandbox = true;
try {
  BwrapDriver.check();
} catch {
  canSandbox = false;
}

/** Host pids whose command line mentions `needle` (a sandbox's bwrap names its session folder). */
function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/** Session folders under the server's state folder (TMPDIR/ix-playground/srv-PID/ix-…). */
function sessionFolders(tmp: string): string[] {
  const top = path.join(tmp, 'ix-playground');
  if (!existsSync(top)) return [];
  return readdirSync(top).flatMap((srv) => (existsSync(path.join(top, srv)) ? readdirSync(path.join(top, srv)).map((f) => path.join(srv, f)) : []));
}

/** Servers started by these tests, so a failing test still stops them. */
const started = new Set<ChildProcess>();

/** Starts dist/main.js with a private TMPDIR and a warm pool; resolves with its URL once it listens. */
async function startMain(tmp: string): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      TMPDIR: tmp,
      PORT: '0',
      PLAYGROUNDS,
      IX_STATIC: '',
      IX_WATCH: '0',
      IX_WARM_POOL: '2',
      IX_MAX_SESSIONS: '100',
      IX_MAX_SESSIONS_PER_CLIENT: '100',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => started.delete(child));
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /server on (http:\/\/[^\s]+)/.exec(log);
      if (m) resolve(m[1] as string);
    });
    void exited.then(() => reject(new Error(`the server exited:\n${log}`)));
  });
  return { child, url, exited };
}

function createSession(url: string): Promise<number | string> {
  return fetch(`${url}/api/sessions`, { method: 'POST', body: JSON.stringify({ playground: 'hello' }) }).then(
    (res) => res.status,
    (error: unknown) => String(error),
  );
}

describe('stopping the server', { skip: !canSandbox && 'needs bubblewrap' }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ix-shutdown-'));
  chmodSync(tmp, 0o711); // sandbox uids must reach their session folders inside
  after(async () => {
    for (const child of started) child.kill('SIGKILL');
    await waitFor(() => started.size === 0 && processesMentioning(tmp).length === 0, 5000, 'every server and sandbox to be gone');
    // What a failed test left mounted (home disk images) would keep the folder busy.
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').reverse()) {
      const point = line.split(' ')[4];
      if (point?.startsWith(tmp + '/')) spawnSync('umount', ['-l', point]);
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  test('SIGTERM while sessions are being created leaves no sandbox process and no session folder behind', { timeout: 60_000 }, async (t) => {
    const server = await startMain(tmp);
    const requests = Array.from({ length: 12 }, () => createSession(server.url));
    let answered = 0;
    for (const r of requests) void r.then(() => answered++);
    await new Promise((r) => setTimeout(r, 100));
    const inFlight = requests.length - answered;
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0, 'the server exits cleanly');
    const statuses = await Promise.all(requests);
    t.diagnostic(`${inFlight} of ${requests.length} creations were in flight at SIGTERM; answers: ${statuses.join(' ')}`);
    assert.ok(inFlight > 0, 'creations were in flight when the signal came');
    await waitFor(
      () => processesMentioning(tmp).length === 0,
      5000,
      () => `no sandbox process left: ${processesMentioning(tmp).join(' ')}`,
    );
    assert.deepEqual(sessionFolders(tmp), [], 'no session folder left');
  });

  test('a server that is killed outright takes its sandboxes with it, and the next one clears its folders', { timeout: 60_000 }, async () => {
    const server = await startMain(tmp);
    assert.equal(await createSession(server.url), 201);
    await waitFor(() => processesMentioning(tmp).length >= 3, 20_000, 'a session and the warm pool');
    server.child.kill('SIGKILL');
    await server.exited;
    await waitFor(
      () => processesMentioning(tmp).length === 0,
      5000,
      () => `no sandbox process left: ${processesMentioning(tmp).join(' ')}`,
    );
    const next = await startMain(tmp);
    await waitFor(() => processesMentioning(tmp).length >= 2, 20_000, "the next server's warm pool");
    const stale = sessionFolders(tmp).filter((f) => !f.startsWith(`srv-${next.child.pid}/`));
    assert.deepEqual(stale, [], "the dead server's session folders are gone");
    next.child.kill('SIGTERM');
    assert.equal(await next.exited, 0);
    await waitFor(() => processesMentioning(tmp).length === 0, 5000, 'no sandbox process left');
    assert.deepEqual(sessionFolders(tmp), []);
  });
});
