import type { Terminal } from '@xterm/xterm';
import type { FitAddon } from '@xterm/addon-fit';

/** xterm.js, its fit addon and its stylesheet. */
export interface XtermModules {
  /** The Terminal class. */
  Terminal: typeof Terminal;
  /** The FitAddon class. */
  FitAddon: typeof FitAddon;
  /** xterm.js's own stylesheet, to adopt into a shadow root. */
  css: string;
}

let loading: Promise<XtermModules> | undefined;

/**
 * Loads xterm.js, the fit addon and xterm's CSS once per page, when the first terminal boots. They
 * are dynamic imports: the CDN build puts them in a chunk of their own (fetched relative to the
 * entry's URL), and a bundler splits them off the same way, so a page with idle playgrounds never
 * downloads them. A failed load is forgotten, so the next boot tries again.
 */
export function loadXterm(): Promise<XtermModules> {
  loading ??= Promise.all([import('@xterm/xterm'), import('@xterm/addon-fit'), import('./generated/xterm-css.js')]).then(
    ([x, f, c]) => ({ Terminal: x.Terminal, FitAddon: f.FitAddon, css: c.xtermCss }),
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}
