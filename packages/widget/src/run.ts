import { LitElement, html } from 'lit';
import { findPlayground } from './find-playground.js';
import { runStyles } from './run.styles.js';

/** How long a "Copied." or "Sent to the terminal." line stays. */
const FEEDBACK_MS = 4000;

/**
 * A command snippet with a Run button that types it into an `<ix-playground>` and presses Enter,
 * and a Copy button.
 *
 * @tag ix-run
 * @summary `<ix-run for="lab">ls -l</ix-run>`: click to run `ls -l` in `<ix-playground id="lab">`.
 *
 * @slot - The command, as text. Common indentation is removed; several lines run one after another.
 *
 * @csspart base - The row holding the command and buttons.
 * @csspart command - The command text.
 * @csspart run-button - The Run button.
 * @csspart copy-button - The Copy button.
 * @csspart feedback - "Copied.", or why something did not work (an aria-live region).
 *
 * Light or dark: the `theme` attribute (`light`, `dark`, `auto`), else the reader's `prefers-color-scheme`.
 *
 * @cssproperty --ix-run-bg - Background colour.
 * @cssproperty --ix-run-fg - Text colour.
 * @cssproperty --ix-run-muted - The `$` prompt.
 * @cssproperty --ix-run-accent - Background of the Run button (its text is white).
 * @cssproperty --ix-run-focus - Focus ring.
 * @cssproperty --ix-run-radius - Corner radius.
 * @cssproperty --ix-run-font - Font shorthand.
 */
export class IxRun extends LitElement {
  static override styles = runStyles;

  static override properties = {
    for: { type: String, reflect: true },
    theme: { type: String, reflect: true },
  };

  /** The id of the `<ix-playground>` to run the command in. */
  for = '';
  /** `light`, `dark`, or `auto` (default: follow the reader's `prefers-color-scheme`). */
  theme: 'light' | 'dark' | 'auto' | undefined;

  #feedback = '';
  #feedbackTimer: ReturnType<typeof setTimeout> | undefined;

  /** The command: the element's text, without the indentation of the page's source. */
  get command(): string {
    return dedent(this.textContent ?? '');
  }

  /** Types the command into the playground and presses Enter (the playground boots if idle). */
  run(): void {
    const found = findPlayground(this, this.for, 'ix-run');
    if (!found.playground) return this.#say(found.problem);
    const command = this.command;
    if (!command) return this.#say('There is no command to run.');
    const playground = found.playground;
    if (typeof playground.run !== 'function') return this.#say('The terminal is not loaded yet; try again in a moment.');
    playground.run(command.replace(/\n/g, '\r'));
    const smooth = !matchMedia('(prefers-reduced-motion: reduce)').matches;
    playground.scrollIntoView({ block: 'nearest', behavior: smooth ? 'smooth' : 'auto' });
    this.#say('Sent to the terminal.');
  }

  /** Copies the command to the clipboard; where that is not allowed, selects it for Ctrl+C. */
  async copy(): Promise<void> {
    const command = this.command;
    try {
      if (!navigator.clipboard?.writeText) throw new Error('no clipboard');
      await navigator.clipboard.writeText(command);
      this.#say('Copied.');
    } catch {
      const selection = getSelection();
      if (selection) {
        const range = document.createRange();
        range.selectNodeContents(this);
        selection.removeAllRanges();
        selection.addRange(range);
      }
      this.#say('This page may not use the clipboard: the command is selected, press Ctrl+C (⌘C on a Mac) to copy it.');
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.#feedbackTimer);
    this.#feedbackTimer = undefined;
  }

  protected override render() {
    const command = this.command;
    return html`<div class="base" part="base">
      <span class="prompt" aria-hidden="true">$</span>
      <code class="command" part="command"><slot @slotchange=${() => this.requestUpdate()}></slot></code>
      <button class="run" part="run-button" aria-label="Run in the terminal: ${command}" @click=${() => this.run()}>Run</button>
      <button class="copy" part="copy-button" aria-label="Copy: ${command}" @click=${() => void this.copy()}>Copy</button>
      <div class="feedback" part="feedback" role="status" aria-live="polite">${this.#feedback}</div>
    </div>`;
  }

  #say(text: string): void {
    this.#feedback = text;
    this.requestUpdate();
    clearTimeout(this.#feedbackTimer);
    this.#feedbackTimer = setTimeout(() => {
      this.#feedback = '';
      this.#feedbackTimer = undefined;
      this.requestUpdate();
    }, FEEDBACK_MS);
  }
}

/** Drops blank first/last lines, trailing spaces and the indentation every line shares. */
export function dedent(text: string): string {
  const lines = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.trimEnd());
  while (lines.length && !lines[0]) lines.shift();
  while (lines.length && !lines[lines.length - 1]) lines.pop();
  const indent = Math.min(...lines.filter(Boolean).map((l) => /^\s*/.exec(l)![0].length));
  return lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)).join('\n');
}

declare global {
  interface HTMLElementTagNameMap {
    'ix-run': IxRun;
  }
}
