#!/usr/bin/env node
// Where a V8 CPU profile spends its time: top functions by self time (and their inclusive time),
// and self time grouped by where the code lives (xterm headless, the server, ws, node internals…).
// Reads Node's --cpu-prof files (.cpuprofile) and, through trace-profile.mjs, Chromium traces.
//
//   node bench/lib/cpuprofile-top.mjs FILE.cpuprofile [--limit 20] [--from µs] [--to µs]
//
// --from/--to: a window in the profile's own clock (µs, CLOCK_MONOTONIC: process.hrtime() of any
// process on the host, so a bench can note when its phases began).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A profile as { nodes: Map(id → { callFrame, parent }), samples: id[], times: µs[] } from either
 * a .cpuprofile ({ nodes with children, samples, timeDeltas, startTime }) or already in that shape.
 */
function normalise(profile) {
  if (profile.nodes instanceof Map) return profile;
  const nodes = new Map();
  for (const n of profile.nodes) nodes.set(n.id, { callFrame: n.callFrame, parent: n.parent });
  for (const n of profile.nodes) for (const c of n.children ?? []) nodes.get(c).parent = n.id;
  const times = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) times.push((t += d));
  return { nodes, samples: profile.samples, times };
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** A readable name for a call frame: `fn (file:line)`. */
function frameName(cf) {
  if (SPECIAL.has(cf.functionName)) return cf.functionName;
  const file = cf.url ? cf.url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '').replace(/^.*\/(packages|bench)\//, '$1/') : '(native)';
  return `${cf.functionName || '(anonymous)'} ${file}:${cf.lineNumber + 1}`;
}

/** Which part of the code a frame belongs to, for the grouped view. */
export function area(cf) {
  const u = cf.url ?? '';
  if (SPECIAL.has(cf.functionName)) return cf.functionName;
  if (/@xterm\/headless|@xterm\/addon-serialize/.test(u)) return 'xterm headless (screen mirror)';
  if (/@xterm\//.test(u) || /xterm\.m?js/.test(u)) return 'xterm.js';
  if (/node_modules\/ws\//.test(u)) return 'ws';
  if (/node-pty/.test(u)) return 'node-pty';
  if (/packages\/server\//.test(u)) return 'ix server code';
  if (/packages\/sdk\//.test(u)) return 'ix sdk code';
  if (/ix-playground\.js|packages\/widget/.test(u)) return 'ix widget bundle';
  if (/node_modules\//.test(u)) return u.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, '$1');
  if (/^node:/.test(u)) return 'node internals';
  if (!u) return '(native / V8 builtins)';
  return path.basename(u);
}

/**
 * Self and inclusive time per function, and self time per area, within [from, to] (µs). Each
 * sample stands for the time until the next one.
 */
export function summarise(raw, { from = -Infinity, to = Infinity, limit = 20 } = {}) {
  const { nodes, samples, times } = normalise(raw);
  const self = new Map();
  const inclusive = new Map();
  const areas = new Map();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < samples.length - 1; i++) {
    if (times[i] < from || times[i] >= to) continue;
    const dt = times[i + 1] - times[i];
    const node = nodes.get(samples[i]);
    if (!node) continue;
    total += dt;
    const name = frameName(node.callFrame);
    if (name === '(idle)') idle += dt;
    self.set(name, (self.get(name) ?? 0) + dt);
    const a = area(node.callFrame);
    areas.set(a, (areas.get(a) ?? 0) + dt);
    const seen = new Set();
    for (let n = node; n; n = nodes.get(n.parent)) {
      const k = frameName(n.callFrame);
      if (seen.has(k) || k === '(root)') continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  }
  const busy = total - idle;
  const pct = (v) => (busy > 0 ? (100 * v) / busy : 0);
  const top = [...self.entries()]
    .filter(([name]) => name !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, us]) => ({ name, selfMs: us / 1000, selfPct: pct(us), inclusivePct: pct(inclusive.get(name) ?? us) }));
  const byArea = [...areas.entries()]
    .filter(([name, us]) => name !== '(idle)' && us >= 1000)
    .sort((a, b) => b[1] - a[1])
    .map(([name, us]) => ({ area: name, selfMs: us / 1000, selfPct: pct(us) }));
  const inclusiveTop = [...inclusive.entries()]
    .filter(([name]) => !SPECIAL.has(name))
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, us]) => ({ name, inclusiveMs: us / 1000, inclusivePct: pct(us) }));
  return { windowMs: total / 1000, busyMs: busy / 1000, idleMs: idle / 1000, top, byArea, inclusiveTop };
}

/** The summary as Markdown: busy time, the areas, the top self-time functions. */
export function summaryMarkdown(s, { areas = 10, top = 15 } = {}) {
  const lines = [
    `Sampled ${(s.windowMs / 1000).toFixed(1)} s, busy ${(s.busyMs / 1000).toFixed(2)} s (${s.windowMs ? Math.round((100 * s.busyMs) / s.windowMs) : 0}%); percentages are of busy time.`,
    '',
    '| area | self | % |',
    '|---|---:|---:|',
    ...s.byArea.slice(0, areas).map((a) => `| ${a.area} | ${a.selfMs.toFixed(0)} ms | ${a.selfPct.toFixed(1)}% |`),
    '',
    '| function (self time) | self | % self | % inclusive |',
    '|---|---:|---:|---:|',
    ...s.top.slice(0, top).map((f) => `| \`${f.name}\` | ${f.selfMs.toFixed(0)} ms | ${f.selfPct.toFixed(1)}% | ${f.inclusivePct.toFixed(1)}% |`),
  ];
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--') && !/^\d/.test(a));
  const opt = (name) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  if (!file) {
    console.error('usage: node bench/lib/cpuprofile-top.mjs FILE.cpuprofile [--limit N] [--from µs] [--to µs]');
    process.exit(2);
  }
  const s = summarise(JSON.parse(readFileSync(file, 'utf8')), { from: opt('from'), to: opt('to'), limit: opt('limit') ?? 20 });
  console.log(summaryMarkdown(s, { top: opt('limit') ?? 20 }));
}
