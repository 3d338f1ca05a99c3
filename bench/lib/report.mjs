// Numbers into words: statistics, units, tables, the machine, and bench/results/<name>.json + .md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchDir } from './servers.mjs';

export const MB = 1e6;
const MiB = 1024 * 1024;

/** The p-th percentile (0–100) by nearest rank; undefined for no values. */
export function percentile(values, p) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** ix / peer, or undefined when either is missing. */
export function ratio(ix, peer) {
  return Number.isFinite(ix) && Number.isFinite(peer) && peer > 0 ? ix / peer : undefined;
}

const num = (n, digits) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(Math.min(digits, 1)) : n.toFixed(digits));
const ok = (n) => typeof n === 'number' && Number.isFinite(n);
export const fmt = {
  ms: (n) => (!ok(n) ? 'n/a' : n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : n < 100 ? `${n.toFixed(1)} ms` : `${Math.round(n)} ms`),
  mbps: (n) => (!ok(n) ? 'n/a' : `${num(n, 2)} MB/s`),
  mb: (bytes) => (!ok(bytes) ? 'n/a' : `${num(bytes / MB, 2)} MB`),
  mib: (bytes) => (!ok(bytes) ? 'n/a' : `${num(bytes / MiB, 1)} MiB`),
  cores: (n) => (!ok(n) ? 'n/a' : `${n.toFixed(3)} cores`),
  ratio: (n) => (!ok(n) ? '—' : n < 0.1 ? `${n.toPrecision(2)}×` : `${num(n, 2)}×`),
  pct: (n) => (!ok(n) ? 'n/a' : `${Math.round(n * 100)}%`),
};

/**
 * One row of the summary table. `met`: true, false, or null (no target, or not measured).
 * ix and peer are display strings; ratio is ix / peer; `bound` ('≤ ', '≥ ') marks a ratio that
 * one side's timeout made a bound.
 */
export function row(metric, ix, peer, { ratio: r, bound = '', target = '', met = null } = {}) {
  return { metric, ix, peer, ratio: r === undefined ? fmt.ratio(r) : `${bound}${fmt.ratio(r)}`, target, met };
}

const metCell = (met) => (met === true ? 'yes' : met === false ? 'NO' : '—');

export function mdTable(header, body) {
  const esc = (c) => String(c).replace(/\|/g, '\\|');
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i ? '---:' : '---')).join('|')}|`, ...body.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

export function textTable(header, body) {
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  return all.map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ')).join('\n');
}

/** Summary rows as table cells (metric | ix | peer | ratio | target | met?). */
export const SUMMARY_HEADER = ['metric', 'ix-playground', 'hand-rolled peer', 'ratio (ix / peer)', 'target', 'met?'];
export const summaryCells = (rows) => rows.map((r) => [r.metric, r.ix, r.peer, r.ratio, r.target, metCell(r.met)]);

/** The machine and its load, for every result file. */
export function machine() {
  let nproc = os.availableParallelism?.() ?? os.cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    // keep the os value
  }
  return {
    nproc,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memTotalMiB: Math.round(os.totalmem() / MiB),
    kernel: os.release(),
    node: process.version,
    loadavg: os.loadavg().map((n) => Number(n.toFixed(2))),
  };
}

export const machineLine = (m) => `${m.nproc} CPUs (${m.cpu}), ${m.memTotalMiB} MiB RAM, Linux ${m.kernel}, Node ${m.node}, load average ${m.loadavg.join(' / ')}`;

/**
 * Writes bench/results/<name>.json (everything) and <name>.md (a title, notes and the summary
 * rows), unless BENCH_NO_WRITE=1. `report.summary` holds the rows bench/run.mjs gathers.
 */
export function writeResults(name, report, { title, notes = [] }) {
  report.machine.loadavgAtEnd = os.loadavg().map((n) => Number(n.toFixed(2)));
  const md = [
    `# ${title}`,
    '',
    `- date: ${report.date}`,
    `- machine: ${machineLine(report.machine)} at start, ${report.machine.loadavgAtEnd.join(' / ')} at end`,
    `- configuration: \`${JSON.stringify(report.config)}\``,
    '',
    mdTable(SUMMARY_HEADER, summaryCells(report.summary)),
    '',
    ...notes.flatMap((n) => [n, '']),
  ].join('\n');
  console.log(`\n${textTable(SUMMARY_HEADER, summaryCells(report.summary))}\n`);
  if (process.env.BENCH_NO_WRITE === '1') return;
  const dir = path.join(benchDir, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(path.join(dir, `${name}.md`), md);
  console.log(`${name}: wrote bench/results/${name}.json and ${name}.md`);
}

/** A positive number from the environment, or `fallback`. */
export function envNumber(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}

/** A new report object for a bench. */
export function newReport(name, config) {
  return { bench: name, date: new Date().toISOString(), machine: machine(), config, results: {}, summary: [] };
}
