// Shared by the end-to-end tests: a real server process started the way `npm start` starts it,
// and Debian's Chromium driven by puppeteer-core.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const root = new URL('..', import.meta.url).pathname;

/** Chromium's path: CHROME_PATH, else Debian's package. */
export const chromePath = process.env.CHROME_PATH || '/usr/bin/chromium';

/** The flags this machine needs: no sandbox as root, headless, no calls home. */
export const chromeArgs = [
  '--no-sandbox',
  '--headless=new',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * Starts packages/server/dist/main.js on a free port (or `port`) and waits (bounded) for /healthz.
 * With `nofile`, the server runs under that descriptor limit (prlimit), as on a small host.
 */
export async function startServerProcess(env = {}, { nofile, port: wanted } = {}) {
  const port = wanted ?? (await freePort());
  const main = [process.execPath, path.join(root, 'packages/server/dist/main.js')];
  const command = nofile ? ['prlimit', `--nofile=${nofile}:${nofile}`, '--', ...main] : main;
  const child = spawn(command[0], command.slice(1), {
    cwd: root,
    // Images are built on a playground's first session in tests, not in the background of every server.
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', IX_PREBUILD_IMAGES: '0', IX_PREVIEW_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited: ${log}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not answer /healthz in 15s: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    log: () => log,
    pid: child.pid,
    /** True while the server process runs. */
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      // Gone already (it exited, or a test killed it: a signal leaves exitCode null): nothing to wait for.
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Launches headless Chromium with a throwaway profile. */
export async function launchBrowser() {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'ix-chromium-'));
  const browser = await puppeteer.launch({ executablePath: chromePath, args: [...chromeArgs, `--user-data-dir=${profile}`], headless: true });
  const close = browser.close.bind(browser);
  browser.close = async () => {
    await close();
    rmSync(profile, { recursive: true, force: true });
  };
  return browser;
}

/** The text of an `<ix-playground>`'s xterm buffer (scrollback and screen). */
export function screenText(page, selector = 'ix-playground') {
  return page.evaluate((sel) => {
    const term = document.querySelector(sel)?.terminal;
    if (!term) return '';
    const buffer = term.buffer.active;
    const lines = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n');
  }, selector);
}

/** Waits (bounded) until the terminal's text matches a pattern; returns the text. */
export async function waitForScreen(page, pattern, { selector = 'ix-playground', timeout = 15_000 } = {}) {
  const deadline = Date.now() + timeout;
  let text = '';
  while (Date.now() < deadline) {
    text = await screenText(page, selector);
    if (pattern.test(text)) return text;
    await new Promise((r) => setTimeout(r, 50));
  }
  const tail = text.trimEnd().split('\n').slice(-15).join('\n');
  throw new Error(`terminal never showed ${pattern} within ${timeout} ms; it shows:\n${tail}\n(its last characters: ${JSON.stringify(text.slice(-40))})`);
}

/** Types a command into an `<ix-playground>` the way a reader does: focus it, press the keys, then Enter. */
export async function typeCommand(page, text, selector = 'ix-playground') {
  await page.evaluate((sel) => document.querySelector(sel).focus(), selector);
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

/**
 * A tiny static web server on its own port (so its pages are another origin than the playground
 * server): `pages` maps a URL path to HTML. Answers 404 for anything else.
 */
export async function startPageServer(pages, port = 0) {
  const server = createServer((req, res) => {
    const html = pages[new URL(req.url ?? '/', 'http://x').pathname];
    res.writeHead(html === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html ?? 'not found');
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * Polls `probe` every `everyMs` until it answers something truthy, which it returns; a probe that
 * throws counts as not yet. Fails after `ms` naming `what` and the last answer or error seen.
 */
export async function until(what, ms, probe, { everyMs = 100 } = {}) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (error) {
      last = error.message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
