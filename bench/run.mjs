#!/usr/bin/env node
// Runs every benchmark in bench/ (each bench/*.mjs except this file), one after another, each
// bounded by a timeout, and writes bench/results/run.json. Each bench writes its own results
// (bench/results/<name>.json and .md). `npm run bench` builds first, then runs this.
//
//   node bench/run.mjs            all benches
//   node bench/run.mjs flood      only benches whose file name contains "flood"
//
// Environment: BENCH_TIMEOUT (seconds per bench, default 900); BENCH_NO_WRITE=1 (print only, leave
// bench/results alone); every variable is passed on to the benches (for example BENCH_SECONDS).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const self = path.basename(fileURLToPath(import.meta.url));
const timeoutS = Number(process.env.BENCH_TIMEOUT || 900);
if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new Error(`BENCH_TIMEOUT must be a positive number of seconds, got "${process.env.BENCH_TIMEOUT}"`);
const filters = process.argv.slice(2);

const benches = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== self && f !== 'run.mjs')
  .filter((f) => !filters.length || filters.some((x) => f.includes(x)))
  .sort();
if (!benches.length) {
  console.error(`bench: nothing to run${filters.length ? ` matching ${filters.join(', ')}` : ''}`);
  process.exit(1);
}

let current;
let interrupted = false;
const stopCurrent = () => {
  // The bench stops its own servers on SIGTERM; SIGKILL only if it does not exit.
  if (!current || current.exitCode !== null || current.signalCode !== null) return;
  current.kill('SIGTERM');
  setTimeout(() => current?.exitCode === null && current.kill('SIGKILL'), 15_000).unref();
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    interrupted = true;
    stopCurrent();
    setTimeout(() => process.exit(130), 16_000).unref();
  });
}

function runOne(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [path.join(here, file)], {
      cwd: root,
      env: { ...process.env, BENCH_RUNNER: 'run.mjs' },
      stdio: 'inherit',
    });
    current = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`bench: ${file} exceeded ${timeoutS} s, stopping it`);
      stopCurrent();
    }, timeoutS * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      resolve({ bench: file, ok: code === 0 && !timedOut, code, signal, timedOut, seconds: Math.round((Date.now() - started) / 100) / 10 });
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      current = undefined;
      resolve({ bench: file, ok: false, error: String(error), seconds: (Date.now() - started) / 1000 });
    });
  });
}

const summary = { date: new Date().toISOString(), node: process.version, nproc: os.availableParallelism?.() ?? os.cpus().length, timeoutSeconds: timeoutS, runs: [] };
for (const file of benches) {
  if (interrupted) break;
  console.log(`\nbench: ${file} (timeout ${timeoutS} s)`);
  const result = await runOne(file);
  summary.runs.push(result);
  console.log(`bench: ${file} ${result.ok ? 'done' : 'FAILED'} in ${result.seconds} s`);
}
const failed = summary.runs.filter((r) => !r.ok);
if (interrupted) {
  console.log('\nbench: interrupted; bench/results/run.json left as it was');
  process.exit(130);
}
if (process.env.BENCH_NO_WRITE !== '1') {
  mkdirSync(path.join(here, 'results'), { recursive: true });
  writeFileSync(path.join(here, 'results', 'run.json'), JSON.stringify(summary, null, 2) + '\n');
}
console.log(`\nbench: ${summary.runs.length - failed.length}/${summary.runs.length} passed; results in bench/results/`);
process.exit(failed.length ? 1 : 0);
