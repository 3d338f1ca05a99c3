import { html, nothing, render, svg } from 'lit';
import type { PreviewInfo } from '@ix-playground/sdk';
import { adoptOnce } from './xterm-open.js';

/** Styles of the preview panels, adopted into the element when the first preview is shown. */
const css = `
.previews{position:absolute;inset:0;z-index:5}
.preview{position:absolute;inset:0;display:flex;flex-direction:column;gap:4px}
.preview .bar{display:flex;align-items:center;gap:.5em;font-size:.8em}
.preview .bar button{padding:.15em .5em}
.preview .url{flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;opacity:.8}
.preview a{color:inherit}
.preview iframe{flex:1;width:100%;border:1px solid rgb(127 127 127/.35);border-radius:2px;background:#fff}`;

/**
 * The web previews of a session, one panel each (a tab panel with a reload button, the address,
 * an "Open in new tab" link and an iframe). A preview's iframe loads the first time it is shown,
 * so a server the learner has not started yet is not fetched ahead. Previews live on an origin of
 * their own, so the page they show can never read the embedding page or the playground server.
 */
export class PreviewPanel {
  readonly #box: HTMLElement;
  readonly #loaded = new Set<string>();
  #shown: string | undefined;

  /** Renders into a new box inside `area` (the element's terminal area), bringing its styles. */
  constructor(area: HTMLElement) {
    adoptOnce(area.getRootNode(), css);
    this.#box = document.createElement('div');
    this.#box.className = 'previews';
    this.#box.hidden = true;
    area.append(this.#box);
  }

  /** Shows the preview at `url` (none: the panel hides, a terminal is shown) among `previews`. */
  show(previews: readonly PreviewInfo[], url: string | undefined): void {
    this.#shown = url;
    if (url) this.#loaded.add(url);
    this.#box.hidden = !url;
    const reload = (event: Event) => {
      const frame = (event.currentTarget as HTMLElement).closest('.preview')?.querySelector('iframe');
      if (frame) frame.src = frame.getAttribute('src') ?? ''; // cross-origin: a new navigation is the only reload
    };
    render(
      previews.map(
        (p, i) => html`<div class="preview" part="preview" role="tabpanel" id="panel-p${i}" aria-labelledby="tab-p${i}" ?hidden=${p.url !== this.#shown}>
          <div class="bar">
            <button part="preview-reload" aria-label="Reload preview" title="Reload preview" @click=${reload}>
              <svg viewBox="0 0 24 24" aria-hidden="true">${svg`<path d="M20 12a8 8 0 1 1-2.3-5.7M20 4v5h-5" />`}</svg>
            </button>
            <span class="url">${p.url}</span>
            <a part="preview-open" href=${p.url} target="_blank" rel="noopener noreferrer">Open in new tab</a>
          </div>
          <iframe
            title="Preview of ${p.title} (port ${p.port}${p.machine ? ` on ${p.machine}` : ''})"
            src=${this.#loaded.has(p.url) ? p.url : nothing}
            sandbox="allow-scripts allow-forms allow-same-origin allow-popups allow-modals allow-downloads"
          ></iframe>
        </div>`,
      ),
      this.#box,
    );
  }

  /** Removes the panels. */
  dispose(): void {
    render(nothing, this.#box);
    this.#box.remove();
  }
}
