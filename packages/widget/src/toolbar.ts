import { html, nothing, svg, type LitElement } from 'lit';
import type { ToolbarModel } from './toolbar-model.js';

/** Styles of what only a booted playground shows: toolbar, tabs, the focus hint and banners. */
export const toolbarCss = `
.toolbar{display:flex;align-items:end;gap:2px;padding:4px 6px 0;background:rgb(127 127 127/.12);font-size:.8em}
.toolbar button{border:none;border-radius:4px 4px 0 0;padding:.25em .9em}
[role=tablist]{display:flex;gap:2px;min-width:0;overflow-x:auto}
[aria-selected=true],[aria-pressed=true]{background:var(--_bg);font-weight:600}
[aria-pressed=true]{box-shadow:inset 0 -2px var(--_focus)}
.end{margin-left:auto;display:flex;gap:2px}
.end button,.toggle{display:flex;gap:.4em;align-items:center}
.machine{opacity:.7;font-weight:400}
[role=tab] svg{vertical-align:-.2em;margin-right:.3em}
.strip{display:flex;flex-wrap:wrap;align-items:center;gap:.5em;padding:.35em .6em;font-size:.85em;background:rgb(127 127 127/.12)}
.strip input{width:6em;font:inherit}.strip button{padding:.15em .7em}
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
 * between tabs) of the terminals, named with their machine where the session has several, and the
 * web previews; buttons for a new tab, a preview of any port, save and stop, and the screen-reader
 * toggle. Asking for a port, or whether to save, opens a strip under the bar.
 */
export function toolbar(model: ToolbarModel, element: LitElement) {
  // Spectators and ttyd have no tabs, but still the screen-reader toggle.
  const tabs = model.tabs;
  const previews = model.previews;
  const features = model.session?.features;
  if (!model.terminal) return nothing;
  // Every tab in order: the terminals', then the previews'; each knows how to show itself.
  const all = [
    ...tabs.map((t) => ({ active: t.active, select: () => model.selectTab(t.id, false) })),
    ...previews.map((p) => ({ active: p.active, select: () => model.selectPreview(p.url) })),
  ];
  const keys = (event: KeyboardEvent) => {
    const at = all.findIndex((t) => t.active);
    const to = ({ ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: -1 } as Record<string, number>)[event.key];
    if (to === undefined) return;
    event.preventDefault();
    all.at(to % all.length)!.select();
    void element.updateComplete.then(() => element.renderRoot.querySelector<HTMLElement>('[aria-selected=true]')?.focus());
  };
  const tab = (id: string, active: boolean, select: () => void, label: unknown) =>
    html`<button role="tab" part="tab" id="tab-${id}" aria-controls="panel-${id}" aria-selected=${active} tabindex=${active ? 0 : -1} @click=${select}>
      ${label}
    </button>`;
  const reader = element.hasAttribute('screen-reader');
  const rw = model.session?.grantedMode !== 'ro';
  return html`<div class="toolbar" part="toolbar">
      ${
        all.length
          ? html`<div role="tablist" part="tabs" aria-label=${previews.length ? 'Terminals and previews' : 'Terminals'} @keydown=${keys}>
              ${tabs.map((t) =>
                tab(String(t.id), t.active, () => model.selectTab(t.id), t.machine ? html`${t.name} <small class="machine">${t.machine}</small>` : t.name),
              )}
              ${previews.map((p, i) => tab(`p${i}`, p.active, () => model.selectPreview(p.url), html`${icon(GLOBE)}${p.title}`))}
            </div>
            <button part="new-tab" aria-label="New terminal tab" title="New terminal tab" @click=${() => model.openTab()}>${icon('M12 5v14M5 12h14')}</button>`
          : nothing
      }
      ${
        rw && features?.preview
          ? html`<button part="preview-button" aria-label="Preview a web server" title="Preview a web server" aria-expanded=${model.asking === 'preview'} @click=${() => model.ask(model.asking === 'preview' ? undefined : 'preview')}>
              ${icon(GLOBE)}
            </button>`
          : nothing
      }
      <span class="end">
        ${
          rw && features?.save
            ? html`<button part="save-button" aria-expanded=${model.asking === 'save'} @click=${() => model.ask(model.asking === 'save' ? undefined : 'save')}>
                ${icon('M5 3h11l3 3v15H5zM8 3v5h7V3M8 21v-7h8v7')}Save
              </button>`
            : nothing
        }
        <button class="toggle" part="screen-reader-toggle" aria-pressed=${reader} @click=${() => element.toggleAttribute('screen-reader', !reader)}>
          ${icon('M3 9h4l5-4v14l-5-4H3zM16 9a4 4 0 0 1 0 6M19 6a8 8 0 0 1 0 12')}Screen reader
        </button>
      </span>
    </div>
    ${model.strip()}`;
}

/** A globe: the previews' icon. */
const GLOBE = 'M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M3 12h18M12 3c3 3 3 15 0 18M12 3c-3 3-3 15 0 18';
