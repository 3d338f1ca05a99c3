/**
 * Registers a custom element under `tag` unless the tag is already taken (by another copy of this
 * library on the page, say), which would otherwise throw.
 */
export function defineElement(tag: string, element: CustomElementConstructor): void {
  if (!customElements.get(tag)) customElements.define(tag, element);
}
