import { html, nothing, svg, type LitElement } from 'lit';
import type { TerminalController } from './terminal-controller.js';

/** Styles of what only a booted playground shows: toolbar, tabs, the focus hint and banners. */
export const toolbarCss = `
.toolbar{display:flex;align-items:end;gap:2px;padding:4px 6px 0;background:rgb(127 127 127/.12);font-size:.8em}
.toolbar button{border:none;border-radius:4px 4px 0 0;padding:.25em .9em}
[role=tablist]{display:flex;gap:2px;min-width:0;overflow-x:auto}
[aria-selected=true],[aria-pressed=true]{background:var(--_bg);font-weight:600}
[aria-pressed=true]{box-shadow:inset 0 -2px var(--_focus)}
.toggle{margin-left:auto;display:flex;gap:.4em;align-items:center}
svg{width:1.1em;height:1.1em;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round}
.hint{position:absolute;bottom:12px;right:14px;z-index:10;padding:.15em .6em;border-radius:4px;font-size:.75em;background:var(--_fg);color:var(--_bg);pointer-events:none}
.notice{position:absolute;left:8px;right:8px;bottom:8px;z-index:10;display:flex;gap:.5em;align-items:flex-start;justify-content:space-between;padding:.4em .75em;border-radius:4px;font-size:.85em;background:#2d4a6b;color:#fff;white-space:pre-line}
.notice.warning{background:#6b5a1e}.notice.error{background:#7a2a2a}.notice button{border:none;padding:0 .4em}`;

/** What the overlay says for an error code: a title, and the one button that can help (none: nothing the reader can do). */
const PROBLEMS: Record<string, [string, ('retry' | 'new')?]> = {
  network: ['Cannot reach the playground server', 'retry'],
  origin: ['This page may not use this playground server'],
  'playground-not-found': ['No such playground'],
  limit: ['Too many playgrounds open', 'retry'],
  unauthorized: ['The server refused the session', 'retry'],
  'session-not-found': ['This session is gone', 'new'],
  ended: ['This session has ended', 'new'],
  'bad-request': ['This playground is set up wrongly'],
  version: ['This page and the server speak different versions'],
};

/** The overlay's title and button for an error code. */
export function problem(code: string): [string, ('retry' | 'new')?] {
  return PROBLEMS[code] ?? ['The playground could not start', 'retry'];
}

const icon = (path: string) => html`<svg viewBox="0 0 24 24" aria-hidden="true">${svg`<path d=${path} />`}</svg>`;

/**
 * The bar above the terminal: a tab list (the WAI-ARIA tabs pattern: arrow keys, Home and End move
 * between tabs), a button for a new tab and the screen-reader toggle.
 */
export function toolbar(controller: TerminalController, element: LitElement) {
  // Spectators and ttyd have no tabs, but still the screen-reader toggle.
  const tabs = controller.tabs;
  if (!controller.terminal) return nothing;
  const keys = (event: KeyboardEvent) => {
    const at = tabs.findIndex((t) => t.active);
    const to = ({ ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: -1 } as Record<string, number>)[event.key];
    if (to === undefined) return;
    event.preventDefault();
    controller.selectTab(tabs.at(to % tabs.length)!.id, false);
    void element.updateComplete.then(() => element.renderRoot.querySelector<HTMLElement>('[aria-selected=true]')?.focus());
  };
  const reader = element.hasAttribute('screen-reader');
  return html`<div class="toolbar" part="toolbar">
    ${
      tabs.length
        ? html`<div role="tablist" part="tabs" aria-label="Terminals" @keydown=${keys}>
      ${tabs.map(
        (tab) =>
          html`<button
            role="tab"
            part="tab"
            id="tab-${tab.id}"
            aria-controls="panel-${tab.id}"
            aria-selected=${tab.active}
            tabindex=${tab.active ? 0 : -1}
            @click=${() => controller.selectTab(tab.id)}
          >
            ${tab.name}
          </button>`,
      )}
    </div>
    <button part="new-tab" aria-label="New terminal tab" title="New terminal tab" @click=${() => controller.openTab()}>${icon('M12 5v14M5 12h14')}</button>`
        : nothing
    }
    <button class="toggle" part="screen-reader-toggle" aria-pressed=${reader} @click=${() => element.toggleAttribute('screen-reader', !reader)}>
      ${icon('M3 9h4l5-4v14l-5-4H3zM16 9a4 4 0 0 1 0 6M19 6a8 8 0 0 1 0 12')}Screen reader
    </button>
  </div>`;
}
