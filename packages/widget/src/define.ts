import { defineElement } from './define-element.js';
import { IxPlayground } from './playground.js';
import { IxRun } from './run.js';
import { IxTasks } from './tasks.js';

/** Registers `<ix-playground>`, `<ix-tasks>` and `<ix-run>`; harmless if they are already registered. */
export function defineElements(): void {
  defineElement('ix-playground', IxPlayground);
  defineElement('ix-tasks', IxTasks);
  defineElement('ix-run', IxRun);
}

defineElements();
