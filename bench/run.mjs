#!/usr/bin/env node
// Runs the benches one after another, each bounded by a timeout and all by a total budget, then
// prints one table (metric | ix | peer | ratio | target | met?) from the rows each bench wrote to
// bench/results/<name>.json, and writes it to bench/results/summary.md (plus run.json: which benches
// ran, their exit status and duration). `npm run bench` builds first, then runs this.
//
//   node bench/run.mjs              every bench
//   node bench/run.mjs idle flood   only benches whose name contains "idle" or "flood"
//
// Environment: BENCH_TOTAL_SECONDS (budget for all benches, default 780: with the build, `npm run
// bench` stays under 15 minutes), BENCH_NO_WRITE=1 (print only); every variable is passed on to the
// benches (see each bench's header and bench/README.md).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SUMMARY_HEADER, envNumber, machine, machineLine, mdTable, summaryCells, textTable } from './lib/report.mjs';
import { benchDir, rootDir } from './lib/servers.mjs';

/** The benches in table order, each with its own timeout (seconds). */
const BENCHES = [
  { name: 'throughput', timeout: 240 },
  { name: 'idle', timeout: 420 },
  { name: 'cold-start', timeout: 120 },
  { name: 'flood', timeout: 180 },
  { name: 'echo', timeout: 120 },
  { name: 'profile', timeout: 240 },
];
const totalSeconds = envNumber('BENCH_TOTAL_SECONDS', 780);
const filters = process.argv.slice(2);
const selected = BENCHES.filter((b) => !filters.length || filters.some((f) => b.name.includes(f)));
if (!selected.length) {
  console.error(`bench: nothing matches ${filters.join(', ')}; benches: ${BENCHES.map((b) => b.name).join(', ')}`);
  process.exit(1);
}

const started = Date.now();
let current;
let interrupted = false;
const stopCurrent = () => {
  // A bench stops its own servers and browser on SIGTERM; SIGKILL only if that one does not exit.
  const child = current;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), 15_000).unref();
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    interrupted = true;
    stopCurrent();
    setTimeout(() => process.exit(130), 16_000).unref();
  });
}

function runOne(bench, timeoutS) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [path.join(benchDir, `${bench.name}.mjs`)], { cwd: rootDir, stdio: 'inherit' });
    current = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`bench: ${bench.name} exceeded ${timeoutS} s, stopping it`);
      stopCurrent();
    }, timeoutS * 1000);
    const done = (extra) => {
      clearTimeout(timer);
      current = undefined;
      resolve({ bench: bench.name, seconds: Math.round((Date.now() - t0) / 100) / 10, timedOut, ...extra });
    };
    child.on('exit', (code, signal) => done({ ok: code === 0 && !timedOut, code, signal }));
    child.on('error', (error) => done({ ok: false, error: String(error) }));
  });
}

const run = { date: new Date().toISOString(), machine: machine(), totalBudgetSeconds: totalSeconds, runs: [] };
for (const bench of selected) {
  if (interrupted) break;
  const left = totalSeconds - (Date.now() - started) / 1000;
  if (left < 30) {
    console.error(`bench: ${bench.name} skipped: the total budget of ${totalSeconds} s is spent`);
    run.runs.push({ bench: bench.name, ok: false, skipped: true });
    continue;
  }
  const timeout = Math.min(bench.timeout, Math.floor(left));
  console.log(`\nbench: ${bench.name} (timeout ${timeout} s)`);
  const result = await runOne(bench, timeout);
  run.runs.push(result);
  console.log(`bench: ${bench.name} ${result.ok ? 'done' : 'FAILED'} in ${result.seconds} s`);
}
run.seconds = Math.round((Date.now() - started) / 1000);
if (interrupted) {
  console.log('\nbench: interrupted; bench/results/summary.md left as it was');
  process.exit(130);
}

if (process.env.BENCH_NO_WRITE === '1') {
  // The benches printed their tables and wrote nothing, so there is nothing fresh to gather.
  console.log(`\nbench: ${Math.round((Date.now() - started) / 1000)} s; BENCH_NO_WRITE=1: see each bench's table above`);
  process.exit(run.runs.every((r) => r.ok) ? 0 : 1);
}

// One table from the rows every bench of this run wrote.
const rows = [];
const missing = [];
for (const r of run.runs) {
  const file = path.join(benchDir, 'results', `${r.bench}.json`);
  const report = r.ok && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
  if (report?.summary) rows.push(...report.summary);
  else if (!r.ok) missing.push(`${r.bench} (${r.skipped ? 'skipped' : r.timedOut ? 'timed out' : 'failed'})`);
}
const cells = summaryCells(rows);
console.log(`\n${textTable(SUMMARY_HEADER, cells)}\n`);
const durations = run.runs.map((r) => `${r.bench} ${r.skipped ? 'skipped' : `${r.seconds} s${r.ok ? '' : ' FAILED'}`}`).join(', ');
console.log(`bench: ${run.seconds} s (${durations})${missing.length ? `; no numbers from ${missing.join(', ')}` : ''}`);
mkdirSync(path.join(benchDir, 'results'), { recursive: true });
writeFileSync(path.join(benchDir, 'results', 'run.json'), JSON.stringify(run, null, 2) + '\n');
const md = [
  '# ix-playground against the hand-rolled peer',
  '',
  `- date: ${run.date}`,
  `- machine: ${machineLine(run.machine)} at start`,
  `- command: \`node bench/run.mjs${filters.length ? ` ${filters.join(' ')}` : ''}\`, ${run.seconds} s (${durations})`,
  '- ratio is ix / peer; each bench\'s own file in this folder has every number and how it was measured (bench/README.md)',
  ...(missing.length ? [`- no numbers from: ${missing.join(', ')}`] : []),
  '',
  mdTable(SUMMARY_HEADER, cells),
  '',
].join('\n');
writeFileSync(path.join(benchDir, 'results', 'summary.md'), md);
console.log('bench: wrote bench/results/summary.md and run.json');
process.exit(run.runs.every((r) => r.ok) ? 0 : 1);
