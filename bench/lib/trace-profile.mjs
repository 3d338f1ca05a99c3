// A Chromium performance trace (puppeteer's page.tracing) read back: the page's main-thread time by
// kind of work (scripting, style and layout, painting, GC) and its JavaScript CPU profile (the V8 sampling
// profiler's ProfileChunk events), in the shape cpuprofile-top.mjs summarises.
import { readFileSync } from 'node:fs';

/** Main-thread work by event name; these nest, so each is its own inclusive total. */
const KINDS = {
  'task (all main-thread work)': ['RunTask'],
  'script (event handlers, timers, frames, microtasks)': ['FunctionCall', 'EventDispatch', 'TimerFire', 'FireAnimationFrame', 'RunMicrotasks', 'v8.evaluateModule', 'EvaluateScript'],
  'style + layout': ['UpdateLayoutTree', 'Layout', 'RecalculateStyles'],
  'paint + composite': ['Paint', 'PrePaint', 'Layerize', 'UpdateLayer', 'CompositeLayers', 'Commit'],
  'garbage collection': ['MajorGC', 'MinorGC', 'V8.GC_SCAVENGER', 'V8.GC_MARK_COMPACTOR', 'BlinkGC.AtomicPhase'],
};

/**
 * Trace categories for page.tracing.start: main-thread events and the JavaScript sampler, without
 * puppeteer's default `disabled-by-default-devtools.timeline.stack`, which records a stack for every
 * setTimeout/clearTimeout and makes timer-heavy code (xterm.js schedules one per scroll) look
 * several times more expensive than it is.
 */
export const TRACE_CATEGORIES = ['-*', 'devtools.timeline', 'v8.execute', 'disabled-by-default-devtools.timeline', 'disabled-by-default-devtools.timeline.frame', 'toplevel', 'disabled-by-default-v8.cpu_profiler'];

/** Reads a trace file and finds the renderer main thread that ran the most JavaScript samples. */
export function readTrace(file) {
  const events = JSON.parse(readFileSync(file, 'utf8')).traceEvents ?? [];
  const profiles = new Map(); // pid:id (ids repeat across renderers) → { pid, tid, startTime, nodes, samples, times }
  for (const e of events) {
    if (e.name === 'Profile') {
      profiles.set(`${e.pid}:${e.id}`, { pid: e.pid, tid: e.tid, startTime: e.args.data.startTime, nodes: new Map(), samples: [], times: [], last: e.args.data.startTime });
    } else if (e.name === 'ProfileChunk') {
      const p = profiles.get(`${e.pid}:${e.id}`);
      if (!p) continue;
      const cpu = e.args.data.cpuProfile ?? {};
      for (const n of cpu.nodes ?? []) p.nodes.set(n.id, { callFrame: n.callFrame, parent: n.parent });
      const deltas = e.args.data.timeDeltas ?? [];
      (cpu.samples ?? []).forEach((id, i) => {
        p.last += deltas[i] ?? 0;
        p.samples.push(id);
        p.times.push(p.last);
      });
    }
  }
  const profile = [...profiles.values()].sort((a, b) => b.samples.length - a.samples.length)[0];
  return { events, profile };
}

/**
 * Main-thread time (ms) per kind of work, on the thread the profile came from, within [from, to] µs.
 * An event inside another of the same kind is not counted twice.
 */
export function mainThreadKinds({ events, profile }, { from = -Infinity, to = Infinity } = {}) {
  if (!profile) return {};
  const onThread = events.filter((e) => e.ph === 'X' && e.pid === profile.pid && e.tid === profile.tid && e.ts >= from && e.ts < to).sort((a, b) => a.ts - b.ts);
  const totals = {};
  for (const [kind, names] of Object.entries(KINDS)) {
    const set = new Set(names);
    let us = 0;
    let end = -Infinity;
    for (const e of onThread) {
      if (!set.has(e.name) || e.ts < end) continue;
      us += e.dur ?? 0;
      end = e.ts + (e.dur ?? 0);
    }
    totals[kind] = us / 1000;
  }
  return totals;
}
