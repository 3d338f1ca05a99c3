#!/usr/bin/env node
// Profiles, to explain the other benches' numbers (not a comparison of its own):
//   1. output: each server under `node --cpu-prof` while its page shows BENCH_PROFILE_MB of base64,
//      with a Chromium performance trace of the page meanwhile;
//   2. idle: the ix server under `--cpu-prof` while BENCH_PROFILE_SESSIONS sessions are created
//      (window "creation") and then sit idle for BENCH_PROFILE_IDLE_SECONDS (window "idle");
//   3. cold start: a Chromium trace of one cold page load → prompt, each side.
// Raw files go to bench/results/profile/ (not committed: large); the summaries (top self-time
// functions, time by area, main-thread work by kind) to bench/results/profile.json and profile.md.
// Read any profile yourself with `node bench/lib/cpuprofile-top.mjs FILE.cpuprofile`.
//
// Environment: BENCH_PROFILE_MB (default 20), BENCH_PROFILE_SESSIONS (default 200),
// BENCH_PROFILE_IDLE_SECONDS (default 20), BENCH_NO_WRITE=1 (print only).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, openTerminal, streamBase64 } from './lib/browser.mjs';
import { summarise, summaryMarkdown } from './lib/cpuprofile-top.mjs';
import { installCleanup, onExit, sleep } from './lib/processes.mjs';
import { MB, envNumber, fmt, machineLine, newReport } from './lib/report.mjs';
import { SIDES, SIDE_NAMES, benchDir, rootDir, startServer } from './lib/servers.mjs';
import { SessionPile } from './lib/sessions.mjs';
import { TRACE_CATEGORIES, mainThreadKinds, readTrace } from './lib/trace-profile.mjs';

installCleanup('profile');
const CONFIG = {
  outputMB: envNumber('BENCH_PROFILE_MB', 20),
  sessions: envNumber('BENCH_PROFILE_SESSIONS', 200),
  idleSeconds: envNumber('BENCH_PROFILE_IDLE_SECONDS', 20),
  creationBudgetSeconds: 90,
};
const noWrite = process.env.BENCH_NO_WRITE === '1';
/** Raw profiles and traces: bench/results/profile/, or a temporary folder with BENCH_NO_WRITE=1. */
const dir = noWrite ? mkdtempSync(path.join(os.tmpdir(), 'ixbench-profile-')) : path.join(benchDir, 'results', 'profile');
if (noWrite) onExit(() => rmSync(dir, { recursive: true, force: true }));
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const cpuProf = (name) => ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`];
const rel = (file) => path.relative(rootDir, file);

/** A server's profile, summarised per window, once the server has exited and written it. */
function serverProfile(name, windows) {
  const file = path.join(dir, `${name}.cpuprofile`);
  if (!existsSync(file)) return { file: rel(file), error: 'no profile written (the server did not exit cleanly)' };
  const raw = JSON.parse(readFileSync(file, 'utf8'));
  const out = { file: rel(file) };
  for (const [w, range] of Object.entries(windows)) out[w] = summarise(raw, { ...range, limit: 25 });
  return out;
}

/** A page trace summarised: main-thread work by kind and the page's JavaScript by self time. */
function pageTrace(file) {
  const trace = readTrace(file);
  if (!trace.profile) return { file: rel(file), error: 'no JavaScript samples in the trace' };
  return { file: rel(file), mainThreadMs: mainThreadKinds(trace), js: summarise(trace.profile, { limit: 25 }) };
}

async function outputProfile(browser, side, inputBytes, grid) {
  const name = `${side}-output`;
  const server = await startServer(side, { nodeArgs: cpuProf(name) });
  let window;
  let shown;
  const traceFile = path.join(dir, `${name}-trace.json`);
  try {
    const t = await openTerminal(browser, server, { grid });
    shown = t.grid;
    await sleep(500);
    await t.page.tracing.start({ path: traceFile, categories: TRACE_CATEGORIES });
    window = { from: monotonicUs() };
    const stream = await streamBase64(t.page, inputBytes);
    window.to = monotonicUs();
    await t.page.tracing.stop();
    await t.close();
    console.log(`profile: ${side} output: ${fmt.mbps(stream.bytes / MB / (stream.ms / 1000))} while profiled`);
  } finally {
    await server.stop(30_000);
  }
  return { grid: shown, server: serverProfile(name, { stream: window }), page: pageTrace(traceFile) };
}

async function idleProfile() {
  const name = 'ix-idle';
  const server = await startServer('ix', { nodeArgs: cpuProf(name) });
  const pile = new SessionPile(server);
  const windows = {};
  const started = Date.now();
  try {
    await sleep(1000);
    windows.creation = { from: monotonicUs() };
    while (pile.size < CONFIG.sessions && Date.now() - started < CONFIG.creationBudgetSeconds * 1000) await pile.add();
    windows.creation.to = monotonicUs();
    await sleep(3000);
    windows.idle = { from: monotonicUs() };
    await sleep(CONFIG.idleSeconds * 1000);
    windows.idle.to = monotonicUs();
    console.log(`profile: ix idle: ${pile.size} sessions created in ${((windows.creation.to - windows.creation.from) / 1e6).toFixed(1)} s, then ${CONFIG.idleSeconds} s idle`);
  } finally {
    pile.closeAll();
    await server.stop(60_000);
  }
  return { sessions: pile.latencies.length, server: serverProfile(name, windows) };
}

async function coldProfile(browser, side) {
  const server = await startServer(side);
  const traceFile = path.join(dir, `${side}-cold-trace.json`);
  try {
    const t = await openTerminal(browser, server, { onPage: (page) => page.tracing.start({ path: traceFile, categories: TRACE_CATEGORIES }) });
    await t.page.tracing.stop();
    await t.close();
    return { loadToPromptMs: t.loadToPromptMs, page: pageTrace(traceFile) };
  } finally {
    await server.stop();
  }
}

function markdown(report) {
  const { output, idle, cold } = report.results;
  const kinds = (k) => ['| main-thread work | ms |', '|---|---:|', ...Object.entries(k ?? {}).map(([name, ms]) => `| ${name} | ${ms.toFixed(0)} |`)].join('\n');
  const section = (title, s) => (s && !s.error ? [`#### ${title}`, '', summaryMarkdown(s), ''] : [`#### ${title}`, '', s?.error ?? 'not measured', '']);
  const lines = [
    '# Profiles',
    '',
    `- date: ${report.date}`,
    `- machine: ${machineLine(report.machine)}`,
    `- configuration: \`${JSON.stringify(report.config)}\``,
    '',
    `## 1. Output: ${CONFIG.outputMB} MB of base64 to screen`,
    '',
  ];
  for (const side of SIDES) {
    const o = output[side];
    lines.push(`### ${SIDE_NAMES[side]}`, '', ...section(`server (\`${o.server.file}\`)`, o.server.stream));
    lines.push(`#### page (\`${o.page.file}\`)`, '', kinds(o.page.mainThreadMs), '', o.page.js ? summaryMarkdown(o.page.js) : o.page.error, '');
  }
  lines.push(`## 2. ix server: ${idle.sessions} sessions created, then ${CONFIG.idleSeconds} s idle (\`${idle.server.file}\`)`, '');
  lines.push(...section('creation', idle.server.creation), ...section('idle', idle.server.idle));
  lines.push('## 3. Cold page load → prompt', '');
  for (const side of SIDES) {
    const c = cold[side];
    lines.push(`### ${SIDE_NAMES[side]}: ${fmt.ms(c.loadToPromptMs)} (\`${c.page.file}\`)`, '', kinds(c.page.mainThreadMs), '', c.page.js ? summaryMarkdown(c.page.js, { top: 10 }) : c.page.error, '');
  }
  return lines.join('\n');
}

async function main() {
  const report = newReport('profile', CONFIG);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const inputBytes = Math.round((CONFIG.outputMB * MB * 3) / 4);
  const browser = await launchBrowser();
  try {
    report.results.output = {};
    for (const side of SIDES) report.results.output[side] = await outputProfile(browser, side, inputBytes, report.results.output.ix?.grid);
    report.results.idle = await idleProfile();
    report.results.cold = {};
    for (const side of SIDES) report.results.cold[side] = await coldProfile(browser, side);
  } finally {
    await browser.close();
  }
  const md = markdown(report);
  console.log(md);
  if (noWrite) return;
  writeFileSync(path.join(benchDir, 'results', 'profile.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(path.join(benchDir, 'results', 'profile.md'), md + '\n');
  console.log('profile: wrote bench/results/profile.json and profile.md (raw profiles and traces in bench/results/profile/)');
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
