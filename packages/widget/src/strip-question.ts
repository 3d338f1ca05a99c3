import { nothing, type LitElement } from 'lit';
import type { TerminalHost } from './terminal-host.js';
import type { Asking, ToolbarModel } from './toolbar-model.js';

/**
 * What the strip under the toolbar asks (a port to preview, or whether to save and stop). The
 * strip's code (toolbar-strip.ts) is a chunk of its own, loaded when a reader first opens it.
 */
export class StripQuestion {
  readonly #host: TerminalHost;
  #code: typeof import('./toolbar-strip.js') | undefined;
  /** What the strip asks, if it is open. */
  asking: Asking;

  constructor(host: TerminalHost) {
    this.#host = host;
  }

  /** Opens the strip to ask `what`, or (`undefined`) closes it. */
  ask(what: Asking): void {
    this.asking = what;
    const focus = () => {
      this.#host.update();
      // Into the strip's first control, so a keyboard user answers at once.
      void (this.#host.element as LitElement).updateComplete.then(() => this.#host.root.querySelector<HTMLElement>('.strip input, .strip button')?.focus());
    };
    if (!what || this.#code) return focus();
    import('./toolbar-strip.js').then(
      (code) => {
        this.#code = code;
        focus();
      },
      () => this.#host.notice({ level: 'error', text: 'Could not load this part of the playground; check the connection and try again.' }),
    );
  }

  /** The strip of `model`'s toolbar, when open and loaded. */
  render(model: ToolbarModel) {
    return (this.asking && this.#code?.strip(model)) || nothing;
  }

  /** Closes the strip. */
  dispose(): void {
    this.asking = undefined;
  }
}
