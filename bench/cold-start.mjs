#!/usr/bin/env node
// Cold page load → prompt in headless Chromium: a fresh browser context (empty cache and storage)
// navigates to a page with one terminal; the clock is the page's own (ms since navigation start),
// stopped when the shell's prompt is in the terminal buffer (the probe checks after every parsed
// write). Samples alternate ix and peer. Also recorded per sample: when the terminal object appeared
// and the resource timings of the page's scripts and API calls, to see where the time goes.
//
// The ix server runs with IX_GRACE=2s, so the sessions of closed pages end soon and do not pile up.
// A second ix server, with a warm pool of POOL ready sessions (IX_WARM_POOL), is sampled in the same
// rounds: its row shows what an operator who turns the pool on gets.
//
// Environment: BENCH_COLD_SAMPLES (per side, default 10), BENCH_NO_WRITE=1 (print only).
import { launchBrowser, openTerminal } from './lib/browser.mjs';
import { installCleanup, sleep } from './lib/processes.mjs';
import { envNumber, fmt, newReport, percentile, ratio, row, writeResults } from './lib/report.mjs';
import { SIDES, startServer } from './lib/servers.mjs';

installCleanup('cold-start');
const CONFIG = { samples: envNumber('BENCH_COLD_SAMPLES', 10), timeoutMs: 30_000, pool: envNumber('BENCH_COLD_POOL', 2) };
/** What is sampled each round: both sides, and ix with its warm pool on. */
const CONTESTANTS = [...SIDES, 'ixPool'];

/** Where the time went in the page: its scripts and API calls (start → end, ms since navigation). */
function timeline(page) {
  return page.evaluate(() => {
    const entries = performance.getEntriesByType('resource').filter((e) => /\.m?js$|\/api\//.test(new URL(e.name).pathname));
    const nav = performance.getEntriesByType('navigation')[0];
    return {
      domContentLoaded: nav?.domContentLoadedEventEnd,
      terminalAt: window.__bench.terminalAt,
      resources: entries.map((e) => ({ path: new URL(e.name).pathname, start: Math.round(e.startTime), end: Math.round(e.responseEnd), bytes: e.encodedBodySize })),
    };
  });
}

async function main() {
  const report = newReport('cold-start', CONFIG);
  const browser = await launchBrowser();
  const servers = {};
  const samples = { ix: [], peer: [], ixPool: [] };
  try {
    servers.ix = await startServer('ix', { env: { IX_GRACE: '2s' } });
    servers.peer = await startServer('peer');
    servers.ixPool = await startServer('ix', { env: { IX_GRACE: '2s', IX_WARM_POOL: String(CONFIG.pool) } });
    // One warm-up load each, not counted: the servers' first session and Chromium's first context.
    for (const side of CONTESTANTS) await (await openTerminal(browser, servers[side], { timeoutMs: CONFIG.timeoutMs })).close();
    for (let i = 0; i < CONFIG.samples; i++) {
      for (const side of CONTESTANTS) {
        const t = await openTerminal(browser, servers[side], { timeoutMs: CONFIG.timeoutMs });
        samples[side].push({ loadToPromptMs: t.loadToPromptMs, ...(await timeline(t.page)) });
        await t.close();
        await sleep(300);
      }
    }
  } finally {
    await browser.close();
    for (const s of Object.values(servers)) await s.stop();
  }
  const s = {};
  for (const side of CONTESTANTS) {
    const times = samples[side].map((x) => x.loadToPromptMs);
    s[side] = { p50Ms: percentile(times, 50), minMs: Math.min(...times), maxMs: Math.max(...times), terminalAtP50Ms: percentile(samples[side].map((x) => x.terminalAt), 50) };
    report.results[side] = { ...s[side], samples: samples[side] };
    console.log(`cold-start: ${side}: load → prompt p50 ${fmt.ms(s[side].p50Ms)} (min ${fmt.ms(s[side].minMs)}, max ${fmt.ms(s[side].maxMs)}); terminal object at ${fmt.ms(s[side].terminalAtP50Ms)}`);
  }
  const r = ratio(s.ix.p50Ms, s.peer.p50Ms);
  report.summary = [
    row('cold page load → prompt, p50', fmt.ms(s.ix.p50Ms), fmt.ms(s.peer.p50Ms), { ratio: r, target: '≤ 300 ms', met: s.ix.p50Ms <= 300 }),
    row(`… ix with a warm pool of ${CONFIG.pool} (IX_WARM_POOL), p50`, fmt.ms(s.ixPool.p50Ms), fmt.ms(s.peer.p50Ms), {
      ratio: ratio(s.ixPool.p50Ms, s.peer.p50Ms),
      target: '≤ 300 ms',
      met: s.ixPool.p50Ms <= 300,
    }),
    row('… terminal created, p50', fmt.ms(s.ix.terminalAtP50Ms), fmt.ms(s.peer.terminalAtP50Ms), { ratio: ratio(s.ix.terminalAtP50Ms, s.peer.terminalAtP50Ms) }),
  ];
  const last = (side) => samples[side].at(-1);
  const steps = (x) => x.resources.map((e) => `${e.path} ${e.start}–${e.end} ms`).join(', ');
  writeResults('cold-start', report, {
    title: 'Cold page load → prompt in headless Chromium',
    notes: [
      `${CONFIG.samples} samples per side (after one warm-up each), alternating; fresh browser context every time; ms since navigation start.`,
      `Last ix sample: ${fmt.ms(last('ix').loadToPromptMs)}; DOMContentLoaded ${fmt.ms(last('ix').domContentLoaded)}; ${steps(last('ix'))}; terminal at ${fmt.ms(last('ix').terminalAt)}.`,
      `Last peer sample: ${fmt.ms(last('peer').loadToPromptMs)}; DOMContentLoaded ${fmt.ms(last('peer').domContentLoaded)}; ${steps(last('peer'))}; terminal at ${fmt.ms(last('peer').terminalAt)}.`,
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
