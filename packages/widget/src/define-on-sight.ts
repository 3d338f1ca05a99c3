import { defineElement } from './define-element.js';

/** Loads the class of a custom element, e.g. `() => import('./tasks.js').then((m) => m.IxTasks)`. */
export type ElementLoader = () => Promise<CustomElementConstructor>;

/** What {@link defineOnSight} returns. */
export interface OnSightDefinitions {
  /** Also looks inside `root` (a component's shadow root, say), now and as it changes. */
  watch(root: Document | ShadowRoot): void;
}

const WATCH: MutationObserverInit = { childList: true, subtree: true };

/**
 * Registers each tag of `loaders` as soon as the document contains such an element: now, or when
 * one is added later. Pages that never use a tag never download its code. Shadow roots are
 * looked into once they are passed to `watch()`.
 */
export function defineOnSight(loaders: Record<string, ElementLoader>): OnSightDefinitions {
  const pending = new Map(Object.entries(loaders).filter(([tag]) => !customElements.get(tag)));
  const roots = new Set<Document | ShadowRoot>();
  const load = (tag: string): void => {
    const loader = pending.get(tag);
    if (!loader) return;
    pending.delete(tag);
    if (!pending.size) observer.disconnect();
    loader().then(
      (element) => defineElement(tag, element),
      (error: unknown) => {
        // The tag stays undefined (its light DOM stays visible); the next sighting retries.
        pending.set(tag, loader);
        for (const root of roots) observer.observe(root, WATCH);
        console.error(`[ix-playground] could not load <${tag}>:`, error);
      },
    );
  };
  const scan = (root: ParentNode) => {
    for (const tag of [...pending.keys()]) if ((root instanceof Element && root.localName === tag) || root.querySelector(tag)) load(tag);
  };
  const observer = new MutationObserver((records) => {
    for (const record of records) for (const node of record.addedNodes) if (node instanceof Element) scan(node);
  });
  const watch = (root: Document | ShadowRoot) => {
    if (!pending.size || roots.has(root)) return;
    roots.add(root);
    observer.observe(root, WATCH);
    scan(root);
  };
  watch(document);
  return { watch };
}
