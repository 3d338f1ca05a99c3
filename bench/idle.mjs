#!/usr/bin/env node
// Idle sessions piling up on one host: how long each new one takes, what each costs in memory,
// and how much CPU a host full of idle sessions burns.
//
// For ix, then the peer, on a fresh server: open sessions one after another from Node (ix: POST
// /api/sessions, then the SDK attaches over `ws`; peer: open its WebSocket, which starts bash),
// each timed until its shell prompt arrives, and keep every client attached and idle. On the way:
//   - at 10, 100 and 1000 sessions: PSS (/proc/PID/smaps_rollup) of the server and every process it
//     started (sandboxes, shells), after a short settle; per session = (total − total at 0) / n;
//   - at 200 sessions: CPU of the server and everything it started over BENCH_IDLE_CPU_SECONDS
//     (utime+stime of the server, what it reaped such as task checks, and its live descendants).
// The ramp stops early, and says so, when one session takes longer than BENCH_IDLE_STALL_MS or the
// side's time budget (BENCH_IDLE_BUDGET seconds) runs out: the table then shows how far it got.
//
// Environment: BENCH_IDLE_MAX (default 1000), BENCH_IDLE_CPU_AT (default 200),
// BENCH_IDLE_CPU_SECONDS (default 20), BENCH_IDLE_BUDGET (s per side for the ramp, default 200),
// BENCH_IDLE_STALL_MS (default 10000), BENCH_NO_WRITE=1 (print only).
import { cpuDelta, installCleanup, processTree, sleep, treePss } from './lib/processes.mjs';
import { MB, envNumber, fmt, newReport, percentile, ratio, row, writeResults } from './lib/report.mjs';
import { SIDES, startServer } from './lib/servers.mjs';
import { SessionPile } from './lib/sessions.mjs';

installCleanup('idle');
const max = envNumber('BENCH_IDLE_MAX', 1000);
const CONFIG = {
  memoryAt: [10, 100, 1000].filter((n) => n <= max),
  cpuAt: Math.min(envNumber('BENCH_IDLE_CPU_AT', 200), max),
  max,
  cpuSeconds: envNumber('BENCH_IDLE_CPU_SECONDS', 20),
  budgetSeconds: envNumber('BENCH_IDLE_BUDGET', 200),
  stallMs: envNumber('BENCH_IDLE_STALL_MS', 10_000),
  settleMs: 3000,
  sessionTimeoutMs: 30_000,
};
if (!CONFIG.memoryAt.includes(max)) CONFIG.memoryAt.push(max);

function memory(server, baseline, n) {
  const m = treePss(server.pid);
  const per = (now, before) => (n ? (now - before) / n : undefined);
  return {
    sessions: n,
    totalBytes: m.total,
    serverBytes: m.root,
    processes: m.processes,
    perSessionBytes: per(m.total, baseline.total),
    /** The server process's own share: its heap and buffers per session, without the sandboxes. */
    perSessionServerBytes: per(m.root, baseline.root),
    /** The server's descendants by name: how many, and their PSS. */
    processesByName: m.byName,
  };
}

async function runSide(side) {
  const server = await startServer(side);
  const pile = new SessionPile(server, { timeoutMs: CONFIG.sessionTimeoutMs });
  const out = { memory: [], stopped: null };
  const started = Date.now();
  try {
    await sleep(CONFIG.settleMs);
    const baseline = treePss(server.pid);
    out.baseline = { totalBytes: baseline.total, serverBytes: baseline.root, processes: baseline.processes };
    const marks = [...new Set([...CONFIG.memoryAt, CONFIG.cpuAt])].sort((a, b) => a - b);
    for (const mark of marks) {
      while (pile.size < mark && !out.stopped) {
        if (Date.now() - started > CONFIG.budgetSeconds * 1000) {
          out.stopped = `time budget (${CONFIG.budgetSeconds} s) ran out`;
          break;
        }
        try {
          const e = await pile.add();
          if (e.totalMs > CONFIG.stallMs) out.stopped = `session ${e.n} took ${fmt.ms(e.totalMs)} (over ${fmt.ms(CONFIG.stallMs)})`;
        } catch (error) {
          out.stopped = `session ${pile.size + 1} failed: ${error.message}`;
        }
        if (pile.size % 100 === 0) {
          server.proc.remember();
          console.log(`idle: ${side}: ${pile.size} sessions after ${((Date.now() - started) / 1000).toFixed(0)} s`);
        }
      }
      if (out.stopped) break;
      await sleep(CONFIG.settleMs);
      if (CONFIG.memoryAt.includes(mark)) {
        out.memory.push(memory(server, baseline, mark));
        const m = out.memory.at(-1);
        console.log(`idle: ${side}: ${mark} sessions: ${fmt.mb(m.perSessionBytes)} PSS per session, ${fmt.mb(m.perSessionServerBytes)} of it in the server process (${m.processes} processes)`);
      }
      if (mark === CONFIG.cpuAt) {
        const before = processTree(server.pid);
        await sleep(CONFIG.cpuSeconds * 1000);
        const cpu = cpuDelta(before, processTree(server.pid));
        out.cpu = { sessions: mark, seconds: CONFIG.cpuSeconds, cpuSeconds: cpu, cores: cpu.all / CONFIG.cpuSeconds, serverCores: cpu.server / CONFIG.cpuSeconds };
        console.log(`idle: ${side}: ${mark} idle sessions use ${fmt.cores(out.cpu.cores)} (server process ${fmt.cores(out.cpu.serverCores)})`);
      }
    }
    if (out.stopped) {
      console.log(`idle: ${side}: stopped at ${pile.size} sessions: ${out.stopped}`);
      await sleep(CONFIG.settleMs);
      out.memory.push({ ...memory(server, baseline, pile.size), atStop: true });
    }
  } finally {
    out.reached = pile.size;
    out.rampSeconds = (Date.now() - started) / 1000;
    out.latencies = pile.latencies.map((e) => ({ n: e.n, postMs: round(e.postMs), attachMs: round(e.attachMs), totalMs: round(e.totalMs) }));
    pile.closeAll();
    await server.stop(60_000);
  }
  return out;
}

/** The descendants' PSS per process, by name, at n sessions: "bash 0.58 MB × 100, …". */
function byName(r, n) {
  const m = r.memory.find((x) => x.sessions === n && !x.atStop);
  if (!m) return 'n/a';
  return Object.entries(m.processesByName)
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .map(([name, v]) => `${name} ${fmt.mb(v.bytes / v.count)} × ${v.count}`)
    .join(', ');
}

/** Processes per session at the largest count measured. */
function perSessionProcesses(r) {
  const m = r.memory.at(-1);
  return m?.sessions ? ((m.processes - r.baseline.processes) / m.sessions).toFixed(1) : 'n/a';
}

const round = (v) => (v === undefined ? undefined : Math.round(v * 10) / 10);

/** p50 and p99 of the creation times of sessions n in [from, to]. */
function creation(latencies, from, to, key = 'totalMs') {
  const v = latencies.filter((e) => e.n >= from && e.n <= to).map((e) => e[key]);
  return { p50: percentile(v, 50), p99: percentile(v, 99), count: v.length };
}

async function main() {
  const report = newReport('idle', CONFIG);
  for (const side of SIDES) {
    console.log(`idle: ${side} …`);
    report.results[side] = await runSide(side);
  }
  const { ix, peer } = report.results;
  const buckets = [[1, 10], [11, 100], [101, 1000]].filter(([from]) => from <= max);
  for (const side of SIDES) {
    const r = report.results[side];
    const lastFrom = Math.max(1, r.reached - 49);
    r.creation = {
      all: creation(r.latencies, 1, Infinity),
      post: creation(r.latencies, 1, Infinity, 'postMs'),
      last50: creation(r.latencies, lastFrom, Infinity),
      last50Post: creation(r.latencies, lastFrom, Infinity, 'postMs'),
    };
    for (const [from, to] of buckets) r.creation[`${from}-${to}`] = creation(r.latencies, from, to);
  }
  const mem = (r, n) => r.memory.find((m) => m.sessions === n && !m.atStop)?.perSessionBytes;
  const atStop = (r) => r.memory.find((m) => m.atStop);
  /** The per-session memory at n, or, for a ramp that stopped short of n, what it was where it stopped. */
  const memCell = (r, n) => {
    if (mem(r, n) !== undefined) return fmt.mb(mem(r, n));
    const s = atStop(r);
    return s && s.sessions < n ? `n/a (${fmt.mb(s.perSessionBytes)} at ${s.sessions})` : 'n/a';
  };
  const pair = (c) => (c?.count ? `${fmt.ms(c.p50)} / ${fmt.ms(c.p99)}` : 'n/a');
  const held = (r) => (r.stopped ? `${r.reached} (stopped: ${r.stopped})` : String(r.reached));
  report.summary = [
    ...CONFIG.memoryAt.map((n) =>
      row(`memory per idle session at ${n} (server + all its processes, PSS)`, memCell(ix, n), memCell(peer, n), {
        ratio: ratio(mem(ix, n), mem(peer, n)),
        target: '≤ 1 MB',
        met: mem(ix, n) === undefined ? false : mem(ix, n) <= 1 * MB,
      }),
    ),
    row(`server CPU at ${CONFIG.cpuAt} idle sessions (with everything it started)`, fmt.cores(ix.cpu?.cores), fmt.cores(peer.cpu?.cores), {
      ratio: ratio(ix.cpu?.cores, peer.cpu?.cores),
      target: '≤ 0.02 cores',
      met: ix.cpu ? ix.cpu.cores <= 0.02 : false,
    }),
    row('idle sessions held on one host', held(ix), held(peer), { target: `${max}`, met: ix.reached >= max }),
    row('session creation p50 / p99, all (POST + attach until prompt)', pair(ix.creation.all), pair(peer.creation.all), {
      ratio: ratio(ix.creation.all.p99, peer.creation.all.p99),
      target: '≤ 100 ms p99',
      met: ix.creation.all.p99 <= 100 && ix.reached >= max,
    }),
    ...buckets.map(([from, to]) =>
      row(`… sessions ${from}–${to}`, pair(ix.creation[`${from}-${to}`]), pair(peer.creation[`${from}-${to}`]), {
        ratio: ratio(ix.creation[`${from}-${to}`].p99, peer.creation[`${from}-${to}`].p99),
      }),
    ),
  ];
  const cpuNote = (r, side) =>
    r.cpu
      ? `${side}: server process ${fmt.cores(r.cpu.serverCores)}, reaped children ${fmt.cores(r.cpu.cpuSeconds.reaped / r.cpu.seconds)}, live descendants ${fmt.cores(r.cpu.cpuSeconds.descendants / r.cpu.seconds)}`
      : `${side}: not measured (stopped before ${CONFIG.cpuAt})`;
  writeResults('idle', report, {
    title: 'Idle sessions piling up on one host',
    notes: [
      `Sessions are opened one at a time from Node and stay attached. Memory: PSS of the server and all its descendants, minus the same with no session, divided by the sessions. ix POST alone p50 / p99: ${pair(ix.creation.post)}.`,
      `Of the memory per session, in the server process itself (the rest is sandbox and shell processes): ${CONFIG.memoryAt.map((n) => `at ${n}: ix ${fmt.mb(ix.memory.find((m) => m.sessions === n && !m.atStop)?.perSessionServerBytes)}, peer ${fmt.mb(peer.memory.find((m) => m.sessions === n && !m.atStop)?.perSessionServerBytes)}`).join('; ')}. Processes per session: ix ${perSessionProcesses(ix)}, peer ${perSessionProcesses(peer)}. PSS per process at 100 sessions: ix ${byName(ix, 100)}; peer ${byName(peer, 100)}.`,
      `CPU at ${CONFIG.cpuAt} idle sessions over ${CONFIG.cpuSeconds} s: ${cpuNote(ix, 'ix')}; ${cpuNote(peer, 'peer')}.`,
      `Ramp: ix reached ${ix.reached} in ${ix.rampSeconds.toFixed(0)} s, peer ${peer.reached} in ${peer.rampSeconds.toFixed(0)} s (both including the measurements on the way). ix's last 50 sessions: p50 / p99 ${pair(ix.creation.last50)}, of which the POST ${pair(ix.creation.last50Post)}.`,
    ],
  });
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
