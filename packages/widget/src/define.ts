import { IxPlayground } from './playground.js';

/** Registers `<ix-playground>`; harmless if it is already registered. */
export function defineElements(): void {
  if (!customElements.get('ix-playground')) customElements.define('ix-playground', IxPlayground);
}

defineElements();

declare global {
  interface HTMLElementTagNameMap {
    'ix-playground': IxPlayground;
  }
}
