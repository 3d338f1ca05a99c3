import type { Terminal } from '@xterm/xterm';
import type { FitAddon } from '@xterm/addon-fit';

/** xterm.js and its fit addon, loaded on first use so pages pay for them only when a terminal boots. */
export interface XtermModules {
  /** The Terminal class. */
  Terminal: typeof Terminal;
  /** The FitAddon class. */
  FitAddon: typeof FitAddon;
}

let loading: Promise<XtermModules> | undefined;

/** Loads xterm.js once per page. */
export function loadXterm(): Promise<XtermModules> {
  loading ??= Promise.all([import('@xterm/xterm'), import('@xterm/addon-fit')]).then(([x, f]) => ({
    Terminal: x.Terminal,
    FitAddon: f.FitAddon,
  }));
  return loading;
}
