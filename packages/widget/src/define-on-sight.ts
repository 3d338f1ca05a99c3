import { defineElement } from './define-element.js';

const WATCH: MutationObserverInit = { childList: true, subtree: true };

/** Loads the class of a custom element, e.g. `() => import('./tasks.js').then((m) => m.IxTasks)`. */
export type ElementLoader = () => Promise<CustomElementConstructor>;

/** What {@link defineOnSight} returns. */
export interface OnSightDefinitions {
  /** Loads and registers every element not registered yet (e.g. once a terminal boots anyway). */
  loadAll(): Promise<void>;
}

/**
 * Registers each tag of `loaders` as soon as the document contains such an element: now, or when
 * one is added later. Pages that never use a tag never download its code. Elements inside other
 * components' shadow roots are not seen; `loadAll()` covers them.
 */
export function defineOnSight(loaders: Record<string, ElementLoader>): OnSightDefinitions {
  const pending = new Map(Object.entries(loaders).filter(([tag]) => !customElements.get(tag)));
  const loads = new Map<string, Promise<void>>();
  const load = (tag: string): Promise<void> => {
    let loading = loads.get(tag);
    if (!loading) {
      const loader = pending.get(tag)!;
      pending.delete(tag);
      if (!pending.size) observer.disconnect();
      loading = loader().then(
        (element) => defineElement(tag, element),
        (error: unknown) => {
          // Leave the tag undefined (its light DOM stays visible) and allow a later retry.
          loads.delete(tag);
          pending.set(tag, loader);
          observer.observe(document, WATCH);
          console.error(`[ix-playground] could not load <${tag}>:`, error);
        },
      );
      loads.set(tag, loading);
    }
    return loading;
  };
  const scan = (root: ParentNode) => {
    for (const tag of [...pending.keys()]) if (root.querySelector(tag) || (root instanceof Element && root.localName === tag)) void load(tag);
  };
  const observer = new MutationObserver((records) => {
    for (const record of records) for (const node of record.addedNodes) if (node instanceof Element) scan(node);
  });
  if (pending.size) {
    observer.observe(document, WATCH);
    scan(document);
  }
  return {
    async loadAll() {
      await Promise.all([...pending.keys(), ...loads.keys()].map(load));
    },
  };
}
