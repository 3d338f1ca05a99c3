/**
 * Entry of the CDN build, `ix-playground.js`, for a `<script type="module">` tag on any page.
 *
 * It is small on purpose: it registers `<ix-playground>`, which draws a placeholder until it nears
 * the viewport. Then the element fetches the terminal code and xterm.js, chunks that sit next to
 * this file and are loaded relative to its URL. `<ix-tasks>` and `<ix-run>` are registered as soon
 * as the page contains one, or when the first terminal starts. A page in an iframe that wants
 * `enableParentBridge` imports it from `bridge.js`, a second entry beside this one.
 */
import { defineElement } from './define-element.js';
import { defineOnSight } from './define-on-sight.js';
import { IxPlayground } from './playground.js';

defineElement('ix-playground', IxPlayground);

const later = defineOnSight({
  'ix-tasks': () => import('./tasks.js').then((m) => m.IxTasks),
  'ix-run': () => import('./run.js').then((m) => m.IxRun),
});
// An <ix-tasks> inside another component's shadow root is invisible to the page-wide watch.
document.addEventListener('ix-status', () => void later.loadAll(), { once: true });

export { IxPlayground };
export { IxStatusEvent, IxTaskEvent, IxProgressEvent, IxCompleteEvent, IxErrorEvent } from './events.js';
