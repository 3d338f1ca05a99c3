// Shared by the widget's browser tests (web-test-runner); not part of the package.
import type { IxPlayground } from '../src/playground.js';

/** The URL of the real playground server web-test-runner started (see web-test-runner.config.mjs). */
export async function playgroundServerUrl(): Promise<string> {
  return ((await (await fetch('/__ix/server')).json()) as { url: string }).url;
}

/** Resolves when `check` is true; fails after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const mounted: Element[] = [];

/** Adds an element to the page (removed by {@link unmountAll}). */
export function mount<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text = ''): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text) el.textContent = text;
  document.body.append(el);
  mounted.push(el);
  return el;
}

/** Removes what {@link mount} added and forgets stored sessions. */
export function unmountAll(): void {
  for (const el of mounted.splice(0)) el.remove();
  sessionStorage.clear();
}

let ids = 0;
/** A fresh element id, so tests never see each other's elements. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${++ids}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The text of a playground's xterm buffer (scrollback and screen). */
export function bufferText(el: IxPlayground): string {
  const buffer = el.terminal?.buffer.active;
  if (!buffer) return '';
  const lines: string[] = [];
  for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
  return lines.join('\n');
}
