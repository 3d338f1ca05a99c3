import { css } from 'lit';

/**
 * Styles of `<ix-playground>`. xterm's own stylesheet is not here: the terminal controller adopts
 * it when xterm.js loads, so the eager bundle stays small.
 */
export const playgroundStyles = [
  css`
    :host {
      display: flex;
      flex-direction: column;
      position: relative;
      height: var(--ix-playground-height, 360px);
      background: var(--ix-playground-bg, #1e1e1e);
      color: var(--ix-playground-fg, #e6e6e6);
      border-radius: var(--ix-playground-radius, 6px);
      overflow: hidden;
      font-family: system-ui, sans-serif;
    }
    .terminal {
      position: relative;
      flex: 1;
      min-height: 0;
      margin: var(--ix-playground-padding, 8px);
    }
    .screen {
      position: absolute;
      inset: 0;
    }
    .screen[hidden] {
      display: none;
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
    .notice {
      position: absolute;
      left: 8px;
      right: 8px;
      bottom: 8px;
      display: flex;
      gap: 0.5em;
      align-items: flex-start;
      justify-content: space-between;
      padding: 0.4em 0.75em;
      border-radius: 4px;
      font-size: 0.85em;
      background: #2d4a6b;
      color: #fff;
      white-space: pre-line;
    }
    .notice.warning {
      background: #6b5a1e;
    }
    .notice.error {
      background: #7a2a2a;
    }
    .notice button {
      border: none;
      padding: 0 0.4em;
    }
    .tabs {
      display: flex;
      gap: 2px;
      padding: 4px 6px 0;
      background: rgb(255 255 255 / 0.06);
      font-size: 0.8em;
    }
    .tabs button {
      border: none;
      border-radius: 4px 4px 0 0;
      padding: 0.25em 0.9em;
      opacity: 0.7;
    }
    .tabs button[aria-selected='true'] {
      opacity: 1;
      background: var(--ix-playground-bg, #1e1e1e);
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
