import { css } from 'lit';
import { darkTheme, hiddenStyles } from './shared.styles.js';

/** The dark palette: the `theme="dark"` attribute, or `prefers-color-scheme: dark` without `theme`. */
const dark = `
  --_bg: var(--ix-playground-bg, #1e1e1e);
  --_fg: var(--ix-playground-fg, #e6e6e6);
  --_focus: var(--ix-playground-focus, #6cb6ff);
  --_sel: var(--ix-playground-selection, #6cb6ff55);
`;

/**
 * Styles of `<ix-playground>`. xterm's own stylesheet is not here: the terminal controller adopts
 * it when xterm.js loads, so the eager bundle stays small. The terminal controller reads `--_bg`,
 * `--_fg`, `--_sel` and the `--ix-playground-*` terminal properties from the host.
 */
export const playgroundStyles = [
  css`
    :host {
      color-scheme: light;
      --_bg: var(--ix-playground-bg, #fff);
      --_fg: var(--ix-playground-fg, #1f2328);
      --_focus: var(--ix-playground-focus, #0969da);
      --_sel: var(--ix-playground-selection, #0969da40);
      display: flex;
      flex-direction: column;
      position: relative;
      height: var(--ix-playground-height, 360px);
      background: var(--_bg);
      color: var(--_fg);
      border: 1px solid rgb(127 127 127 / 0.35);
      border-radius: var(--ix-playground-radius, 6px);
      overflow: hidden;
      font-family: system-ui, sans-serif;
    }
    .terminal {
      position: relative;
      flex: 1;
      min-height: 0;
      margin: var(--ix-playground-padding, 8px);
      border-radius: 2px;
    }
    .terminal:focus-within {
      outline: 2px solid var(--_focus);
      outline-offset: 3px;
    }
    .screen {
      position: absolute;
      inset: 0;
    }
    .placeholder {
      font: 14px/1.2 ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace;
      opacity: 0.6;
    }
    .placeholder .cursor {
      display: inline-block;
      width: 0.6em;
      height: 1.1em;
      margin-left: 0.6em;
      vertical-align: text-bottom;
      background: currentColor;
    }
    .overlay {
      position: absolute;
      inset: 0;
      z-index: 20;
      display: flex;
      flex-direction: column;
      align-items: center;
      justify-content: center;
      gap: 0.75em;
      padding: 1em;
      text-align: center;
      background: color-mix(in srgb, var(--_bg) 92%, transparent);
      font-size: 0.95em;
    }
    :host([status='connecting']) .overlay,
    :host([status='reconnecting']) .overlay {
      inset: auto 8px 8px auto;
      padding: 0.3em 0.75em;
      border-radius: 4px;
    }
    .overlay strong {
      font-size: 1.1em;
    }
    .message {
      max-width: 40em;
      white-space: pre-line;
      overflow-wrap: anywhere;
    }
    .message::first-letter {
      text-transform: uppercase;
    }
    button {
      font: inherit;
      padding: 0.35em 1em;
      border-radius: 4px;
      border: 1px solid currentColor;
      background: transparent;
      color: inherit;
      cursor: pointer;
    }
    button:focus-visible {
      outline: 2px solid var(--_focus);
      outline-offset: -2px;
    }
  `,
  darkTheme(dark),
  hiddenStyles,
];
