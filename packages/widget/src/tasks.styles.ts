import { css } from 'lit';
import { darkTheme, hiddenStyles } from './shared.styles.js';

/** Colours of the dark theme: `theme="dark"`, or `prefers-color-scheme: dark` without a `theme`. */
const dark = `
  --_fg: var(--ix-tasks-fg, #e6edf3);
  --_bg: var(--ix-tasks-bg, #161b22);
  --_muted: var(--ix-tasks-muted, #9198a1);
  --_border: var(--ix-tasks-border, #3d444d);
  --_track: var(--ix-tasks-track, #3d444d);
  --_accent: var(--ix-tasks-accent, #3fb950);
  --_danger: var(--ix-tasks-danger, #ff7b72);
  --_link: var(--ix-tasks-link, #58a6ff);
  --_focus: var(--ix-tasks-focus, #58a6ff);
  --_info: var(--ix-tasks-info, #58a6ff);
  --_warning: var(--ix-tasks-warning, #d29922);
`;

/** The rules only `<ix-tasks>` has. */
const tasks = css`
  :host {
    color-scheme: light;
    --_fg: var(--ix-tasks-fg, #1f2328);
    --_bg: var(--ix-tasks-bg, #f6f8fa);
    --_muted: var(--ix-tasks-muted, #59636e);
    --_border: var(--ix-tasks-border, #d0d7de);
    --_track: var(--ix-tasks-track, #d8dee4);
    --_accent: var(--ix-tasks-accent, #1a7f37);
    --_danger: var(--ix-tasks-danger, #cf222e);
    --_link: var(--ix-tasks-link, #0969da);
    --_focus: var(--ix-tasks-focus, #0969da);
    --_info: var(--ix-tasks-info, #0969da);
    --_warning: var(--ix-tasks-warning, #9a6700);
    display: block;
    color: var(--_fg);
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--ix-tasks-radius, 6px);
    padding: 0.75em 1em;
    font: var(--ix-tasks-font, 15px/1.5 system-ui, sans-serif);
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
    background: var(--_track);
    overflow: hidden;
  }
  .bar {
    height: 100%;
    width: 0;
    background: var(--_accent);
    transition: width 0.3s ease;
  }
  .summary,
  .status {
    margin: 0;
    font-size: 0.9em;
    color: var(--_muted);
  }
  .problem {
    margin: 0;
    color: var(--_danger);
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
    border-left: 4px solid var(--_info);
    background: rgb(127 127 127 / 0.1);
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .notice.warning {
    border-color: var(--_warning);
  }
  .notice.error {
    border-color: var(--_danger);
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
    border-top: 1px solid var(--_border);
  }
  .icon {
    flex: none;
    width: 1.2em;
    height: 1.2em;
    margin-top: 0.15em;
    fill: none;
    stroke: currentColor;
    stroke-width: 2.5;
    stroke-linecap: round;
    stroke-linejoin: round;
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
    color: var(--_accent);
  }
  .task[data-state='failed'] .icon,
  .task[data-state='failed'] .state {
    color: var(--_danger);
  }
  .task[data-state='blocked'] {
    color: var(--_muted);
  }
  .task[data-state='running'] .icon {
    animation: spin 1s linear infinite;
    transform-origin: center;
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
    color: var(--_muted);
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
    border-left: 3px solid var(--_accent);
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
    color: var(--_link);
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
    color: var(--_link);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  button:focus-visible,
  a:focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: 2px;
  }
`;

/** Styles of `<ix-tasks>`: light, or dark by `theme` or the reader's `prefers-color-scheme`. */
export const tasksStyles = [tasks, darkTheme(dark), hiddenStyles];
