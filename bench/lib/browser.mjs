// Debian's headless Chromium through puppeteer-core, and pages with one live terminal on them.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { chromeArgs, chromePath } from '../../test/harness.mjs';
import { installProbe } from './page-probe.mjs';
import { onExit, within } from './processes.mjs';
import { SIDES, startServer } from './servers.mjs';

/** Launches Chromium with a throwaway profile; it is killed when the bench exits, however it exits. */
export async function launchBrowser() {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'ixbench-chromium-'));
  const browser = await puppeteer.launch({ executablePath: chromePath, args: [...chromeArgs, `--user-data-dir=${profile}`], headless: true, protocolTimeout: 120_000 });
  const pid = browser.process()?.pid;
  const forget = onExit(() => {
    try {
      if (pid) process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
    rmSync(profile, { recursive: true, force: true });
  });
  const close = browser.close.bind(browser);
  browser.close = async () => {
    await within(10_000, 'closing Chromium', close()).catch(() => pid && process.kill(pid, 'SIGKILL'));
    rmSync(profile, { recursive: true, force: true });
    forget();
  };
  return browser;
}

/**
 * Opens a server's one-terminal page in a fresh browser context (no cache, no storage) and waits,
 * bounded, until its shell prompt is in the terminal buffer. `grid` ({ cols, rows }) pins the
 * hand-rolled page's terminal to the size <ix-playground> chose, so both draw the same grid.
 * `onPage(page)` runs before navigation. Returns { page, close, grid, loadToPromptMs }.
 */
export async function openTerminal(browser, server, { grid, timeoutMs = 30_000, onPage } = {}) {
  const context = await browser.createBrowserContext();
  const close = () => within(10_000, 'closing a browser context', context.close()).catch(() => {});
  const url = grid && server.side === 'peer' ? `${server.pageUrl}?cols=${grid.cols}&rows=${grid.rows}` : server.pageUrl;
  try {
    const page = await context.newPage();
    await page.setViewport({ width: 1000, height: 600 });
    await page.evaluateOnNewDocument(installProbe);
    await onPage?.(page); // e.g. start a trace before the page loads
    await within(timeoutMs, `loading ${url}`, page.goto(url, { waitUntil: 'load' }));
    const loadToPromptMs = await page.waitForFunction(() => window.__bench.firstPromptAt, { timeout: timeoutMs, polling: 20 }).then((h) => h.jsonValue());
    const shown = await page.evaluate(() => ({ cols: window.__bench.term().cols, rows: window.__bench.term().rows }));
    return { page, close, grid: shown, loadToPromptMs };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Waits (bounded, in the page) until the cursor line ends in a prompt; returns the page time it did. */
export function waitPrompt(page, ms = 30_000) {
  return page.evaluate((m) => window.__bench.whenPrompt(m), ms);
}

/** Bytes `base64` prints through a pty for `inputBytes` of input: 76-character lines ending in CRLF. */
export function base64OutputBytes(inputBytes) {
  const chars = 4 * Math.ceil(inputBytes / 3);
  return chars + 2 * Math.ceil(chars / 76);
}

let streams = 0;

/**
 * Runs `head -c inputBytes /dev/urandom | base64` in the page's shell and times it in the page, from
 * typing the command until the line after the output has been parsed and the next frame drawn.
 * Returns { ms, bytes }.
 */
export async function streamBase64(page, inputBytes, timeoutMs = 100_000) {
  // A fresh end marker each time (an earlier one may still be on screen); split by quotes, so
  // the echo of the command line itself never matches.
  const marker = `IXBDONE${++streams}`;
  const command = `head -c ${inputBytes} /dev/urandom | base64; echo ${marker.slice(0, 3)}''${marker.slice(3)}`;
  const ms = await page.evaluate(
    async (cmd, done, timeout) => {
      const b = window.__bench;
      const start = performance.now();
      b.input(cmd + '\r');
      await b.whenLine(done, timeout);
      return (await b.nextFrame()) - start;
    },
    command,
    marker,
    timeoutMs,
  );
  return { ms, bytes: base64OutputBytes(inputBytes) };
}

/**
 * Starts both contestants' servers, each with a page showing its terminal (the peer's on the
 * grid ix's page got), runs `body({ servers, pages })`, then closes every page, the browser and
 * the servers, however `body` ends. `body` may close a page early and delete it from `pages`.
 */
export async function withBothTerminals(body) {
  const browser = await launchBrowser();
  const servers = {};
  const pages = {};
  try {
    for (const side of SIDES) {
      servers[side] = await startServer(side);
      pages[side] = await openTerminal(browser, servers[side], { grid: pages.ix?.grid });
    }
    return await body({ servers, pages });
  } finally {
    for (const p of Object.values(pages)) await p.close();
    await browser.close();
    for (const s of Object.values(servers)) await s.stop();
  }
}
