import type { Terminal } from '@xterm/xterm';

/** What {@link openTerminal} set up; `dispose()` removes the terminal's stylesheet. */
export interface AdoptedStyles {
  /** Stops mirroring and un-adopts the stylesheet. */
  dispose(): void;
}

/** Lit's CSP nonce, if the page set one (`window.litNonce`), for a `<style>` fallback. */
function nonce(style: HTMLStyleElement): void {
  const value = (globalThis as { litNonce?: string }).litNonce;
  if (value) style.nonce = value;
}

type StyleRoot = (Document | ShadowRoot) & { adoptedStyleSheets: CSSStyleSheet[] };

function canAdopt(root: Node): root is StyleRoot {
  return 'adoptedStyleSheets' in root && typeof CSSStyleSheet !== 'undefined' && 'replaceSync' in CSSStyleSheet.prototype;
}

/**
 * Adds a stylesheet to a shadow root (or document): constructable where supported, so a strict
 * CSP allows it; else a `<style>` element.
 */
export function adoptStylesheet(root: Node, css: string): AdoptedStyles {
  if (canAdopt(root)) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    return { dispose: () => void (root.adoptedStyleSheets = root.adoptedStyleSheets.filter((s) => s !== sheet)) };
  }
  const style = document.createElement('style');
  nonce(style);
  style.textContent = css;
  (root instanceof Document ? root.head : root).appendChild(style);
  return { dispose: () => style.remove() };
}

/** The stylesheets {@link adoptOnce} adopted, by root. */
const adopted = new WeakMap<Node, Set<string>>();

/** Adopts a lazily loaded part's stylesheet into `root` the first time the part shows there; later calls do nothing. */
export function adoptOnce(root: Node, css: string): void {
  const known = adopted.get(root) ?? new Set();
  if (!known.has(css)) adoptStylesheet(root, css);
  adopted.set(root, known.add(css));
}

/**
 * Opens an xterm.js terminal in `box` and appends `box` to `parent`, without the inline `<style>`
 * elements a strict Content-Security-Policy (`style-src 'self'`) blocks.
 *
 * xterm's DOM renderer writes its theme, cursor and font rules into `<style>` elements it creates
 * in `open()` and rewrites on every theme, font or size change. Blocked, they leave the terminal in
 * a proportional font without a cursor. Opened while `box` is detached, those elements are inert
 * (a disconnected `<style>` is never parsed, so CSP never sees it); this takes them out of the
 * tree, mirrors their text into a constructable stylesheet adopted by `root` (constructable
 * stylesheets are not subject to `style-src`), then attaches `box`.
 *
 * Where constructable stylesheets are missing (browsers before 2023), it opens the terminal the
 * ordinary way: such a browser needs `style-src 'unsafe-inline'`.
 */
export function openTerminal(term: Terminal, box: HTMLElement, parent: HTMLElement, root: Node): AdoptedStyles {
  if (!canAdopt(root)) {
    parent.append(box);
    term.open(box);
    return { dispose() {} };
  }
  term.open(box);
  const styles = [...box.querySelectorAll('style')];
  const sheet = new CSSStyleSheet();
  const mirror = () => sheet.replaceSync(styles.map((s) => s.textContent ?? '').join('\n'));
  const observer = new MutationObserver(mirror);
  for (const style of styles) {
    style.remove();
    observer.observe(style, { childList: true, characterData: true, subtree: true });
  }
  mirror();
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  parent.append(box);
  remeasure(term);
  return {
    dispose() {
      observer.disconnect();
      root.adoptedStyleSheets = root.adoptedStyleSheets.filter((s) => s !== sheet);
    },
  };
}

/** xterm measured its letter spacing while detached (as 0); any option change measures it again. */
function remeasure(term: Terminal): void {
  term.options.theme = { ...term.options.theme };
}
