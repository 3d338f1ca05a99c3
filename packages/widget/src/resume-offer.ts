import { html, render } from 'lit';
import type { SnapshotInfo } from '@ix-playground/sdk';
import { ErrorCode, PlaygroundError } from '@ix-playground/sdk/errors';
import type { TerminalHost } from './terminal-host.js';
import { adoptOnce } from './xterm-open.js';

/** Styles of the offer, adopted with the first one an element shows. */
const css = `
.offer{position:absolute;inset:0;z-index:25;display:flex;flex-direction:column;align-items:center;justify-content:center;gap:.75em;padding:1em;text-align:center;background:var(--_bg)}
.offer p{margin:0;max-width:34em;font-size:.9em}
.offer div{display:flex;flex-wrap:wrap;gap:.5em;justify-content:center}
.offer .primary{background:var(--_focus);border-color:var(--_focus);color:#fff;font-weight:600}`;

/** A saved playground's date, for people: "26 Nov 2026, 14:02" in the reader's language. */
export function savedDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * Asks a returning reader whether to resume the playground they saved or start fresh, over the
 * whole element. Resolves true for resume, false for fresh; rejects with `cancelled` when
 * {@link ResumeOffer.cancel} is called (the element left the page).
 */
export class ResumeOffer {
  readonly #host: TerminalHost;
  readonly #box: HTMLElement;
  #settle: ((resume: boolean | undefined) => void) | undefined;

  /** Puts the offer over `host`'s element (bringing its styles). */
  constructor(host: TerminalHost) {
    const root = host.root;
    adoptOnce(root, css);
    this.#host = host;
    this.#box = document.createElement('div');
    this.#box.className = 'offer';
    this.#box.setAttribute('part', 'resume-offer');
    this.#box.role = 'group';
    this.#box.setAttribute('aria-labelledby', 'offer-title');
    root.append(this.#box);
  }

  /** Shows the offer for `snapshot`, says so in the element's status line, and waits for the reader's choice. */
  ask(snapshot: SnapshotInfo): Promise<boolean> {
    this.#host.setStatus('connecting', `You saved this playground on ${savedDate(snapshot.createdAt)}: resume it, or start fresh.`);
    return new Promise((resolve, reject) => {
      this.#settle = (resume) => {
        this.#settle = undefined;
        this.#box.remove();
        if (resume === undefined) reject(new PlaygroundError(ErrorCode.Cancelled, 'the element left the page'));
        else resolve(resume);
      };
      const choose = (resume: boolean) => () => this.#settle?.(resume);
      render(
        html`<strong id="offer-title">Welcome back</strong>
          <p>Your files come back as you saved them; programs that were running do not.</p>
          <div>
            <button class="primary" part="resume-button" @click=${choose(true)}>Resume your playground from ${savedDate(snapshot.createdAt)}</button>
            <button part="fresh-button" @click=${choose(false)}>Start fresh</button>
          </div>`,
        this.#box,
      );
    });
  }

  /** Takes the offer away; a pending {@link ask} rejects with `cancelled`. */
  cancel(): void {
    if (this.#settle) this.#settle(undefined);
    else this.#box.remove();
  }
}
