import { IxPlayground } from './playground.js';
import { IxRun } from './run.js';
import { IxTasks } from './tasks.js';

/** Registers `<ix-playground>`, `<ix-tasks>` and `<ix-run>`; harmless if they are already registered. */
export function defineElements(): void {
  if (!customElements.get('ix-playground')) customElements.define('ix-playground', IxPlayground);
  if (!customElements.get('ix-tasks')) customElements.define('ix-tasks', IxTasks);
  if (!customElements.get('ix-run')) customElements.define('ix-run', IxRun);
}

defineElements();

declare global {
  interface HTMLElementTagNameMap {
    'ix-playground': IxPlayground;
    'ix-tasks': IxTasks;
    'ix-run': IxRun;
  }
}
