/**
 * Entry of the CDN build, `ix-playground.js`, for a `<script type="module">` tag on any page.
 *
 * It is small on purpose: it registers `<ix-playground>`, which draws a placeholder until it nears
 * the viewport. Then the element fetches the terminal code and xterm.js, chunks that sit next to
 * this file and are loaded relative to its URL. `<ix-tasks>` and `<ix-run>` are registered as soon
 * as the page contains one. A page in an iframe that wants `enableParentBridge` imports it from
 * `bridge.js`, a second entry beside this one.
 */
import { defineElement } from './define-element.js';
import { defineOnSight } from './define-on-sight.js';
import { IxPlayground } from './playground.js';

defineElement('ix-playground', IxPlayground);

const onSight = defineOnSight({
  'ix-tasks': () => import('./tasks.js').then((m) => m.IxTasks),
  'ix-run': () => import('./run.js').then((m) => m.IxRun),
});
// A playground inside another component's shadow root has its <ix-tasks> and <ix-run> there too
// (`for` finds ids in the same root): look in there once the playground starts.
document.addEventListener('ix-status', (event) => {
  const root = event.composedPath()[0];
  if (root instanceof Node && root.getRootNode() instanceof ShadowRoot) onSight.watch(root.getRootNode() as ShadowRoot);
});

export { IxPlayground };
export { IxStatusEvent, IxTaskEvent, IxProgressEvent, IxCompleteEvent, IxErrorEvent, IxSavedEvent } from './events.js';
