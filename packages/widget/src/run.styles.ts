import { css } from 'lit';

/** Styles of `<ix-run>`. */
export const runStyles = css`
  :host {
    display: block;
    margin: 0.5em 0;
    color: var(--ix-run-fg, #e6e6e6);
    background: var(--ix-run-bg, #24292f);
    border-radius: var(--ix-run-radius, 6px);
    font: var(--ix-run-font, 14px/1.5 ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace);
  }
  :host([hidden]) {
    display: none;
  }
  .base {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5em;
    padding: 0.4em 0.5em 0.4em 0.8em;
  }
  .prompt {
    opacity: 0.6;
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
    background: var(--ix-run-accent, #2da44e);
    border-color: var(--ix-run-accent, #2da44e);
    color: #fff;
  }
  button:focus-visible {
    outline: 2px solid var(--ix-run-focus, #6cb6ff);
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
