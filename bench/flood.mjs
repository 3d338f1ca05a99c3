#!/usr/bin/env node
// `yes` in the page's shell, then Ctrl-C, in headless Chromium: how long until the prompt is back,
// and how smooth the page stays meanwhile (gaps between animation frames).
//
// Both servers run side by side with their pages open (the peer pinned to <ix-playground>'s grid).
// Each round, for ix then the peer: record animation frames for a quiet second (the baseline), type
// `yes`, let it run BENCH_FLOOD_SECONDS, press Ctrl-C as a real key (puppeteer's keyboard), and wait
// until the cursor line ends in a prompt again. Ctrl-C → prompt is timed in the page from the
// keydown's timestamp; frame gaps are recorded from `yes` until the prompt is back: each round's
// longest, p95 over rounds, and the p95 of all gaps.
//
// Environment: BENCH_FLOOD_SECONDS (default 5), BENCH_FLOOD_ROUNDS (default 3), BENCH_PROMPT_TIMEOUT
// (seconds to wait for the prompt after Ctrl-C, default 30; a side that times out runs no more
// rounds), BENCH_NO_WRITE=1 (print only).
import { withBothTerminals } from './lib/browser.mjs';
import { installCleanup, rss, sleep } from './lib/processes.mjs';
import { envNumber, fmt, newReport, percentile, ratio, row, writeResults } from './lib/report.mjs';
import { SIDES } from './lib/servers.mjs';

installCleanup('flood');
const CONFIG = {
  floodSeconds: envNumber('BENCH_FLOOD_SECONDS', 5),
  rounds: envNumber('BENCH_FLOOD_ROUNDS', 3),
  promptTimeoutSeconds: envNumber('BENCH_PROMPT_TIMEOUT', 30),
};

/** One flood on one page; returns { ctrlCToPromptMs (null on timeout), gaps, baselineGaps, serverRssPeak }. */
async function flood(page, server) {
  await page.evaluate(() => window.__bench.focus());
  await page.evaluate(() => window.__bench.frames.start());
  await sleep(1000);
  const baselineGaps = await page.evaluate(() => window.__bench.frames.stop());
  await page.evaluate(() => {
    window.__bench.frames.start();
    window.__bench.input('yes\r');
  });
  let serverRssPeak = 0;
  const until = Date.now() + CONFIG.floodSeconds * 1000;
  while (Date.now() < until) {
    serverRssPeak = Math.max(serverRssPeak, rss(server.pid));
    await sleep(100);
  }
  const keysBefore = await page.evaluate(() => window.__bench.keys.length);
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyC');
  await page.keyboard.up('Control');
  const result = await page.evaluate(
    async (from, ms) => {
      const b = window.__bench;
      const keydown = b.keys.slice(from)[1] ?? b.keys[from]; // [Control, c]
      let promptAt = null;
      try {
        promptAt = await b.whenPrompt(ms);
      } catch {
        // reported as a timeout
      }
      return { ctrlCToPromptMs: promptAt === null ? null : promptAt - keydown, gaps: b.frames.stop() };
    },
    keysBefore,
    CONFIG.promptTimeoutSeconds * 1000,
  );
  return { ...result, baselineGaps, serverRssPeak };
}

async function main() {
  const report = newReport('flood', CONFIG);
  await withBothTerminals(async ({ servers, pages }) => {
    for (const side of SIDES) report.results[side] = { grid: pages[side].grid, rounds: [] };
    for (let round = 1; round <= CONFIG.rounds; round++) {
      for (const side of SIDES) {
        if (!pages[side]) continue; // its shell never came back: see below
        const r = await flood(pages[side].page, servers[side]);
        const summary = {
          round,
          ctrlCToPromptMs: r.ctrlCToPromptMs,
          frameGapP95Ms: percentile(r.gaps, 95),
          frameGapMaxMs: Math.max(...r.gaps),
          frames: r.gaps.length,
          baselineGapP95Ms: percentile(r.baselineGaps, 95),
          serverRssPeak: r.serverRssPeak,
        };
        report.results[side].rounds.push({ ...summary, gaps: r.gaps.map((g) => Math.round(g * 10) / 10) });
        console.log(
          `flood: round ${round} ${side}: Ctrl-C → prompt ${r.ctrlCToPromptMs === null ? `> ${CONFIG.promptTimeoutSeconds} s` : fmt.ms(r.ctrlCToPromptMs)}, frame gap p95 ${fmt.ms(summary.frameGapP95Ms)} (max ${fmt.ms(summary.frameGapMaxMs)}, quiet p95 ${fmt.ms(summary.baselineGapP95Ms)}), server RSS peak ${fmt.mib(r.serverRssPeak)}`,
        );
        if (r.ctrlCToPromptMs === null) {
          // Still scrolling its backlog: later rounds would measure that, and the busy page would
          // slow the other side's rounds. Close it; the side's result is "> timeout".
          await pages[side].close();
          delete pages[side];
        }
      }
    }
  });

  const s = {};
  for (const side of SIDES) {
    const rounds = report.results[side].rounds;
    const times = rounds.map((r) => r.ctrlCToPromptMs);
    s[side] = {
      ctrlCToPromptMs: times.includes(null) ? null : percentile(times, 50),
      longestGapP95Ms: percentile(rounds.map((r) => r.frameGapMaxMs), 95),
      frameGapP95Ms: percentile(rounds.flatMap((r) => r.gaps), 95),
    };
    Object.assign(report.results[side], s[side]);
  }
  const ctrlC = (v) => (v === null ? `> ${CONFIG.promptTimeoutSeconds} s` : fmt.ms(v));
  const cRatio = ratio(s.ix.ctrlCToPromptMs, s.peer.ctrlCToPromptMs ?? CONFIG.promptTimeoutSeconds * 1000);
  const gRatio = ratio(s.ix.longestGapP95Ms, s.peer.longestGapP95Ms);
  report.summary = [
    row('Ctrl-C → prompt under `yes` (median)', ctrlC(s.ix.ctrlCToPromptMs), ctrlC(s.peer.ctrlCToPromptMs), {
      ratio: cRatio,
      bound: s.peer.ctrlCToPromptMs === null ? '≤ ' : '',
      target: 'keep (≤ 0.1× peer)',
      met: s.ix.ctrlCToPromptMs !== null ? cRatio <= 0.1 : false,
    }),
    row('longest frame gap under flood, p95 over rounds', fmt.ms(s.ix.longestGapP95Ms), fmt.ms(s.peer.longestGapP95Ms), {
      ratio: gRatio,
      target: 'keep (≤ 1× peer)',
      met: gRatio <= 1,
    }),
    row('… p95 of all frame gaps under flood', fmt.ms(s.ix.frameGapP95Ms), fmt.ms(s.peer.frameGapP95Ms), { ratio: ratio(s.ix.frameGapP95Ms, s.peer.frameGapP95Ms) }),
  ];
  writeResults('flood', report, {
    title: '`yes`, then Ctrl-C, in headless Chromium',
    notes: [
      `${CONFIG.rounds} rounds of \`yes\` for ${CONFIG.floodSeconds} s per side. Ctrl-C → prompt: median over rounds, from the Ctrl-C keydown's timestamp to the prompt in the buffer. Frame gaps: between requestAnimationFrame callbacks from \`yes\` until the prompt is back; each round's longest, p95 over rounds (with ${CONFIG.rounds} rounds, the worst), and the p95 of all gaps pooled (a frame is 16.7 ms).`,
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
