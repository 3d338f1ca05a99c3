import type { IxPlayground } from './playground.js';

/** What {@link findPlayground} found: the element, or a sentence saying why there is none. */
export type FoundPlayground = { playground: IxPlayground; problem?: undefined } | { playground?: undefined; problem: string };

/**
 * Finds the `<ix-playground>` a `for="ID"` attribute names: in the same tree as `from` (document or
 * shadow root), else in the document.
 */
export function findPlayground(from: Node, id: string | null | undefined, tag: string): FoundPlayground {
  if (!id) return { problem: `Set the for attribute of <${tag}> to the id of an <ix-playground> on this page.` };
  const root = from.getRootNode() as Document | ShadowRoot;
  const el = (typeof root.getElementById === 'function' ? root.getElementById(id) : null) ?? document.getElementById(id);
  if (!el) return { problem: `There is no <ix-playground id="${id}"> on this page.` };
  if (el.localName !== 'ix-playground') return { problem: `The element with id "${id}" is a <${el.localName}>, not an <ix-playground>.` };
  return { playground: el as IxPlayground };
}
