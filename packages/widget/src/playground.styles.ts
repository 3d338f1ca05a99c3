import { css, unsafeCSS } from 'lit';
import { xtermCss } from './generated/xterm-css.js';

/** Styles of `<ix-playground>`; xterm's own stylesheet is adopted into the shadow root. */
export const playgroundStyles = [
  unsafeCSS(xtermCss),
  css`
    :host {
      display: block;
      position: relative;
      height: var(--ix-playground-height, 360px);
      background: var(--ix-playground-bg, #1e1e1e);
      color: var(--ix-playground-fg, #e6e6e6);
      border-radius: var(--ix-playground-radius, 6px);
      overflow: hidden;
      font-family: system-ui, sans-serif;
    }
    .terminal {
      position: absolute;
      inset: var(--ix-playground-padding, 8px);
    }
    .overlay {
      position: absolute;
      inset: 0;
      display: flex;
      flex-direction: column;
      align-items: center;
      justify-content: center;
      gap: 0.75em;
      padding: 1em;
      text-align: center;
      background: rgb(0 0 0 / 0.55);
      font-size: 0.95em;
    }
    .overlay[hidden] {
      display: none;
    }
    :host([status='connecting']) .overlay,
    :host([status='reconnecting']) .overlay {
      background: rgb(0 0 0 / 0.25);
      justify-content: flex-start;
      align-items: flex-end;
    }
    .overlay .message {
      max-width: 40em;
      white-space: pre-line;
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
      outline: 2px solid #6cb6ff;
      outline-offset: 2px;
    }
  `,
];
