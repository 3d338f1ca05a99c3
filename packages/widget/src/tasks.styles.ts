import { css } from 'lit';

/** Styles of `<ix-tasks>`. */
export const tasksStyles = css`
  :host {
    display: block;
    color: var(--ix-tasks-fg, #1f2328);
    background: var(--ix-tasks-bg, #f6f8fa);
    border: 1px solid var(--ix-tasks-border, #d0d7de);
    border-radius: var(--ix-tasks-radius, 6px);
    padding: 0.75em 1em;
    font: var(--ix-tasks-font, 15px/1.5 system-ui, sans-serif);
  }
  :host([hidden]) {
    display: none;
  }
  .header {
    display: flex;
    align-items: center;
    justify-content: space-between;
    gap: 1em;
  }
  .title {
    font-weight: 600;
  }
  .progress {
    height: 0.5em;
    margin: 0.6em 0 0.2em;
    border-radius: 999px;
    background: var(--ix-tasks-track, #d8dee4);
    overflow: hidden;
  }
  .bar {
    height: 100%;
    width: 0;
    background: var(--ix-tasks-accent, #1a7f37);
    transition: width 0.3s ease;
  }
  .summary,
  .status {
    margin: 0;
    font-size: 0.9em;
    opacity: 0.85;
  }
  .problem {
    margin: 0;
    color: var(--ix-tasks-danger, #cf222e);
  }
  .notices {
    list-style: none;
    margin: 0.5em 0 0;
    padding: 0;
  }
  .notice {
    display: flex;
    align-items: flex-start;
    justify-content: space-between;
    gap: 0.75em;
    margin: 0.25em 0;
    padding: 0.4em 0.6em;
    border-left: 4px solid var(--ix-tasks-info, #0969da);
    background: rgb(127 127 127 / 0.1);
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .notice.warning {
    border-color: var(--ix-tasks-warning, #9a6700);
  }
  .notice.error {
    border-color: var(--ix-tasks-danger, #cf222e);
  }
  ol {
    list-style: none;
    margin: 0.6em 0 0;
    padding: 0;
  }
  .task {
    display: flex;
    gap: 0.6em;
    padding: 0.45em 0;
    border-top: 1px solid var(--ix-tasks-border, #d0d7de);
  }
  .icon {
    flex: none;
    width: 1.4em;
    text-align: center;
    font-weight: 700;
  }
  .body {
    flex: 1;
    min-width: 0;
  }
  .task-title {
    font-weight: 500;
  }
  .task[data-state='done'] .task-title {
    text-decoration: line-through;
    text-decoration-color: rgb(127 127 127 / 0.6);
  }
  .task[data-state='done'] .icon {
    color: var(--ix-tasks-accent, #1a7f37);
  }
  .task[data-state='failed'] .icon,
  .task[data-state='failed'] .state {
    color: var(--ix-tasks-danger, #cf222e);
  }
  .task[data-state='blocked'] {
    opacity: 0.7;
  }
  .task[data-state='running'] .icon {
    animation: spin 1s linear infinite;
  }
  @keyframes spin {
    to {
      transform: rotate(360deg);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .bar,
    .task[data-state='running'] .icon {
      transition: none;
      animation: none;
    }
  }
  .state {
    font-size: 0.85em;
    opacity: 0.8;
  }
  .message {
    margin: 0.25em 0 0;
    font: 0.85em/1.4 ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .hint {
    margin-top: 0.35em;
    padding: 0.1em 0.75em;
    border-left: 3px solid var(--ix-tasks-accent, #1a7f37);
    background: rgb(127 127 127 / 0.08);
  }
  .hint p,
  .hint ul,
  .hint pre {
    margin: 0.4em 0;
  }
  .hint pre {
    overflow-x: auto;
  }
  code {
    font: 0.9em ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace;
    background: rgb(127 127 127 / 0.15);
    padding: 0.05em 0.3em;
    border-radius: 3px;
  }
  pre code {
    display: block;
    padding: 0.5em;
  }
  a {
    color: var(--ix-tasks-link, #0969da);
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
  button {
    font: inherit;
    font-size: 0.85em;
    padding: 0.2em 0.8em;
    border-radius: 4px;
    border: 1px solid currentColor;
    background: transparent;
    color: inherit;
    cursor: pointer;
  }
  button.link {
    border: none;
    padding: 0.1em 0;
    text-decoration: underline;
    color: var(--ix-tasks-link, #0969da);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  button:focus-visible,
  a:focus-visible {
    outline: 2px solid var(--ix-tasks-focus, #0969da);
    outline-offset: 2px;
  }
`;
