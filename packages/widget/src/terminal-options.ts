import type { ITerminalOptions, ITheme } from '@xterm/xterm';

// How an <ix-playground>'s terminals look: from the element's CSS (its theme, the reader's
// colour scheme, the --ix-playground-* properties) and the reader's motion preference.

/** The eight ANSI colour names; `--ix-playground-ansi-NAME` and `--ix-playground-ansi-bright-NAME` set them. */
const ANSI = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];
/**
 * Default ANSI colours 0–15 for a light and a dark background: each at least 4.5:1 against the
 * default background, so coloured output (`ls --color`, prompts) stays readable. (xterm's
 * `minimumContrastRatio` would fix colours up as it draws, but through `style` attributes, which a
 * strict Content-Security-Policy blocks.)
 */
const PALETTES = {
  light: '#24292f #c4232d #116329 #7d4e00 #0550ae #8250df #1b7c83 #6a737d #57606a #a40e26 #1a7f37 #633c01 #0969da #6639ba #0e6f77 #656d76',
  dark: '#848d97 #ff7b72 #3fb950 #d29922 #58a6ff #bc8cff #39c5cf #c9d1d9 #9198a1 #ffa198 #56d364 #e3b341 #79c0ff #d2a8ff #56d4dd #f0f6fc',
};

/** The terminal's font unless `--ix-playground-font-family` names another. */
const FONT = 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace';
/** Media queries whose change restyles the terminals. */
const MEDIA = ['(prefers-color-scheme: dark)', '(prefers-reduced-motion: reduce)'];

/**
 * Terminal options from the element's computed style (`theme` attribute, `prefers-color-scheme`,
 * the `--ix-playground-*` properties) and attributes.
 */
export function terminalOptions(el: HTMLElement): ITerminalOptions {
  const style = getComputedStyle(el);
  const prop = (name: string) => style.getPropertyValue(`--${name}`).trim() || undefined;
  const theme: ITheme & Record<string, string | undefined> = {
    background: style.backgroundColor,
    foreground: style.color,
    cursor: prop('ix-playground-cursor') ?? style.color,
    cursorAccent: style.backgroundColor,
    selectionBackground: prop('_sel'),
  };
  const palette = PALETTES[style.colorScheme === 'dark' ? 'dark' : 'light'].split(' ');
  ANSI.forEach((name, i) => {
    theme[name] = prop(`ix-playground-ansi-${name}`) ?? palette[i];
    theme[`bright${name[0]!.toUpperCase()}${name.slice(1)}`] = prop(`ix-playground-ansi-bright-${name}`) ?? palette[i + 8];
  });
  return {
    theme,
    fontFamily: prop('ix-playground-font-family') ?? FONT,
    fontSize: parseFloat(prop('ix-playground-font-size') ?? '') || 14,
    cursorBlink: !matchMedia(MEDIA[1]!).matches,
    screenReaderMode: el.hasAttribute('screen-reader'),
  };
}

/** Calls `callback` when the reader's colour scheme or motion preference changes; returns a function that stops. */
export function onMediaChange(callback: () => void): () => void {
  const lists = MEDIA.map((query) => matchMedia(query));
  for (const list of lists) list.addEventListener('change', callback);
  return () => lists.forEach((list) => list.removeEventListener('change', callback));
}
