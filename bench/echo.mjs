#!/usr/bin/env node
// Keystroke echo in headless Chromium: a key pressed in the page (a real key event through
// puppeteer's keyboard), until the shell's echo of it is in the xterm.js buffer.
//
// Both servers run side by side with their pages open. Rounds alternate ix and peer; each round
// types BENCH_ECHO_KEYS / 4 `x` keys at the prompt, one at a time, waiting for each echo, and clears
// the line with Ctrl-U every 40 keys. The time is measured in the page, from the keydown event's
// timestamp to the parsed write that puts the new `x` on the cursor line.
//
// Environment: BENCH_ECHO_KEYS (per side, default 200), BENCH_NO_WRITE=1 (print only).
import { waitPrompt, withBothTerminals } from './lib/browser.mjs';
import { installCleanup, sleep } from './lib/processes.mjs';
import { envNumber, fmt, newReport, percentile, ratio, row, writeResults } from './lib/report.mjs';
import { SIDES } from './lib/servers.mjs';

installCleanup('echo');
const CONFIG = { keys: envNumber('BENCH_ECHO_KEYS', 200), rounds: 4, perLine: 40, pauseMs: 30, timeoutMs: 10_000 };

/** Types `count` keys into the page, one at a time; returns each echo time in ms. */
async function typeAndTime(page, count) {
  const times = [];
  await page.evaluate(() => window.__bench.focus());
  for (let i = 0; i < count; i++) {
    const k = (i % CONFIG.perLine) + 1;
    // Arm the waiter before the key goes out, so an early echo is not missed.
    await page.evaluate((n, ms) => {
      const b = window.__bench;
      const run = 'x'.repeat(n);
      b.keysBefore = b.keys.length;
      b.echo = b.when(() => {
        const line = b.cursorLine().trimEnd();
        return line.endsWith(run) && line[line.length - n - 1] !== 'x';
      }, ms, `echo of key ${n}`);
    }, k, CONFIG.timeoutMs);
    await page.keyboard.press('x');
    times.push(await page.evaluate(async () => (await window.__bench.echo) - window.__bench.keys[window.__bench.keysBefore]));
    if (k === CONFIG.perLine) {
      await page.keyboard.down('Control');
      await page.keyboard.press('KeyU');
      await page.keyboard.up('Control');
      await waitPrompt(page, CONFIG.timeoutMs);
    }
    await sleep(CONFIG.pauseMs);
  }
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyU');
  await page.keyboard.up('Control');
  return times;
}

async function main() {
  const report = newReport('echo', CONFIG);
  const times = { ix: [], peer: [] };
  await withBothTerminals(async ({ pages }) => {
    for (let round = 0; round < CONFIG.rounds; round++) {
      for (const side of SIDES) times[side].push(...(await typeAndTime(pages[side].page, Math.ceil(CONFIG.keys / CONFIG.rounds))));
    }
  });
  const s = {};
  for (const side of SIDES) {
    s[side] = { p50Ms: percentile(times[side], 50), p99Ms: percentile(times[side], 99), maxMs: Math.max(...times[side]), samples: times[side].length };
    report.results[side] = { ...s[side], timesMs: times[side].map((t) => Math.round(t * 10) / 10) };
    console.log(`echo: ${side}: p50 ${fmt.ms(s[side].p50Ms)}, p99 ${fmt.ms(s[side].p99Ms)}, max ${fmt.ms(s[side].maxMs)} over ${s[side].samples} keys`);
  }
  const r = ratio(s.ix.p99Ms, s.peer.p99Ms);
  report.summary = [
    row('keystroke echo p99', fmt.ms(s.ix.p99Ms), fmt.ms(s.peer.p99Ms), { ratio: r, target: '≤ peer', met: r <= 1 }),
    row('… p50', fmt.ms(s.ix.p50Ms), fmt.ms(s.peer.p50Ms), { ratio: ratio(s.ix.p50Ms, s.peer.p50Ms) }),
  ];
  writeResults('echo', report, {
    title: 'Keystroke echo in headless Chromium',
    notes: [`${CONFIG.keys} keys per side, alternating sides every ${Math.ceil(CONFIG.keys / CONFIG.rounds)} keys; from the keydown's timestamp to the echo parsed into the xterm.js buffer.`],
  });
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
