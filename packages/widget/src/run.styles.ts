import { css } from 'lit';
import { darkTheme, hiddenStyles } from './shared.styles.js';

/** Colours of the dark theme: `theme="dark"`, or `prefers-color-scheme: dark` without a `theme`. */
const dark = `
  --_fg: var(--ix-run-fg, #e6edf3);
  --_bg: var(--ix-run-bg, #2d333b);
  --_muted: var(--ix-run-muted, #a3abb5);
  --_focus: var(--ix-run-focus, #6cb6ff);
`;

/** The rules only `<ix-run>` has. */
const run = css`
  :host {
    color-scheme: light;
    --_fg: var(--ix-run-fg, #1f2328);
    --_bg: var(--ix-run-bg, #eff2f5);
    --_muted: var(--ix-run-muted, #59636e);
    --_focus: var(--ix-run-focus, #0969da);
    display: block;
    margin: 0.5em 0;
    color: var(--_fg);
    background: var(--_bg);
    border-radius: var(--ix-run-radius, 6px);
    font: var(--ix-run-font, 14px/1.5 ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace);
  }
  .base {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5em;
    padding: 0.4em 0.5em 0.4em 0.8em;
  }
  .prompt {
    color: var(--_muted);
    user-select: none;
  }
  .command {
    flex: 1;
    min-width: 8em;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  button {
    font: 13px/1.4 system-ui, sans-serif;
    padding: 0.25em 0.8em;
    border-radius: 4px;
    border: 1px solid currentColor;
    background: transparent;
    color: inherit;
    cursor: pointer;
  }
  button.run {
    background: var(--ix-run-accent, #1a7f37);
    border-color: var(--ix-run-accent, #1a7f37);
    color: #fff;
  }
  button:focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: 2px;
  }
  .feedback {
    flex-basis: 100%;
    font: 13px/1.4 system-ui, sans-serif;
  }
  .feedback:empty {
    display: none;
  }
`;

/**
 * Styles of `<ix-run>`. The Run button is white on `--ix-run-accent`: the default green is 5.1:1
 * (WCAG AA), in both themes.
 */
export const runStyles = [run, darkTheme(dark), hiddenStyles];
