// The two contestants as child processes: the ix-playground reference server and the hand-rolled
// peer. Both are started the way their users start them, on a free loopback port, and stopped with
// everything they started.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/harness.mjs';
import { onExit, sleep, startNode } from './processes.mjs';

export const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const rootDir = path.resolve(benchDir, '..');

/** The playground every ix bench uses (bench/playgrounds/bench.yaml): one seeded file, one task. */
export const PLAYGROUND = 'bench';

/** The sides of every comparison, in run order. */
export const SIDES = ['ix', 'peer'];
export const SIDE_NAMES = { ix: 'ix-playground', peer: 'hand-rolled peer' };

async function waitHealthy(url, proc, deadlineMs = 20_000) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (!proc.alive()) throw new Error(`${proc.name} exited early:\n${proc.log()}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error(`${proc.name} was not healthy within ${deadlineMs} ms:\n${proc.log()}`);
}

/** Extra node flags for a side's server from BENCH_NODE_ARGS_IX / BENCH_NODE_ARGS_PEER (e.g. --cpu-prof). */
function nodeArgsFromEnv(side) {
  return (process.env[`BENCH_NODE_ARGS_${side.toUpperCase()}`] || '').split(/\s+/).filter(Boolean);
}

/**
 * Starts the ix-playground server (packages/server/dist/main.js) with limits raised for 1000+
 * sessions, bench/playgrounds as its manifests and bench/pages at `/`. Its sandboxes live in a
 * private temporary folder (TMPDIR), so anything they leave behind can be found and removed.
 */
async function startIx({ env = {}, nodeArgs = [] } = {}) {
  const port = await freePort();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ixbench-'));
  chmodSync(tmp, 0o711); // sandbox uids must reach their session folders inside
  const removeTmp = () => rmSync(tmp, { recursive: true, force: true });
  onExit(removeTmp);
  const proc = startNode('ix-playground server', path.join(rootDir, 'packages/server/dist/main.js'), {
    cwd: rootDir,
    nodeArgs: [...nodeArgsFromEnv('ix'), ...nodeArgs],
    marker: tmp,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      PLAYGROUNDS: path.join(benchDir, 'playgrounds'),
      IX_STATIC: path.join(benchDir, 'pages'),
      IX_WATCH: '0',
      IX_PREVIEW_PORT: '0',
      IX_MAX_SESSIONS: '5000',
      IX_MAX_SESSIONS_PER_CLIENT: '5000',
      // Every session of a bench comes from this one address.
      IX_MAX_CONNECTIONS: '10000',
      IX_MAX_CONNECTIONS_PER_CLIENT: '5000',
      TMPDIR: tmp,
      ...env,
    },
  });
  return ready('ix', proc, port, async (graceMs) => {
    await proc.stop(graceMs);
    removeTmp();
  });
}

/**
 * Starts the hand-rolled peer (bench/peer/hand-rolled-server.mjs): ws + node-pty, bash on a pty.
 * Its shells get an empty home (HOME), like a fresh service user's, as ix's learner has: this
 * machine's own dotfiles (root's pyenv init takes ~200 ms) would otherwise slow every peer shell.
 */
async function startPeer({ env = {}, nodeArgs = [] } = {}) {
  const port = await freePort();
  const home = mkdtempSync(path.join(os.tmpdir(), 'ixbench-peer-home-'));
  const removeHome = () => rmSync(home, { recursive: true, force: true });
  onExit(removeHome);
  const proc = startNode('hand-rolled peer', path.join(benchDir, 'peer/hand-rolled-server.mjs'), {
    cwd: rootDir,
    nodeArgs: [...nodeArgsFromEnv('peer'), ...nodeArgs],
    env: { PORT: String(port), HOST: '127.0.0.1', HOME: home, ...env },
  });
  return ready('peer', proc, port, async (graceMs) => {
    await proc.stop(graceMs);
    removeHome();
  });
}

async function ready(side, proc, port, stop) {
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(url, proc);
  } catch (error) {
    await stop(2000);
    throw error;
  }
  return {
    side,
    url,
    /** The page with one terminal on it (bench/pages/index.html or bench/peer/index.html). */
    pageUrl: `${url}/`,
    pid: proc.pid,
    proc,
    log: proc.log,
    /** Stops the server (SIGTERM, up to `graceMs`, then SIGKILL) and everything it started. */
    stop: (graceMs = 15_000) => stop(graceMs),
  };
}

/** Starts one side's server. */
export function startServer(side, options) {
  return side === 'ix' ? startIx(options) : startPeer(options);
}
