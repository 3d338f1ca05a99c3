/** Something that holds a resource (a listener, a timer, a socket) until it is disposed. */
export interface Disposable {
  /** Releases the resource. Calling it again does nothing. */
  dispose(): void;
}

/** What a {@link DisposableStore} accepts: a disposable, or a function that releases something (an unsubscribe). */
export type DisposableLike = Disposable | (() => void);

/**
 * Collects what an owner holds and releases all of it at once, in reverse order of adding (the way
 * xterm.js's DisposableStore works). Adding to a disposed store releases the new item at once, so a
 * late subscription can never outlive its owner.
 */
export class DisposableStore implements Disposable {
  #items: DisposableLike[] = [];
  #disposed = false;

  /** True once {@link dispose} ran. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** Adds items to release later; answers the first, for `const x = store.add(new Thing())`. */
  add<T extends DisposableLike>(item: T, ...more: DisposableLike[]): T {
    for (const each of [item, ...more]) {
      if (this.#disposed) release(each);
      else this.#items.push(each);
    }
    return item;
  }

  /** A timer that is cleared with the store. */
  timeout(callback: () => void, ms: number): Disposable {
    const timer = setTimeout(callback, ms);
    return this.add({ dispose: () => clearTimeout(timer) });
  }

  /** Releases everything added so far; the store stays usable (unlike {@link dispose}). */
  clear(): void {
    const items = this.#items;
    this.#items = [];
    for (let i = items.length - 1; i >= 0; i--) release(items[i] as DisposableLike);
  }

  /** Releases everything and every later addition. */
  dispose(): void {
    this.#disposed = true;
    this.clear();
  }
}

function release(item: DisposableLike): void {
  try {
    if (typeof item === 'function') item();
    else item.dispose();
  } catch (error) {
    // One failing release must not keep the others from running.
    console.error('[ix-playground] dispose failed:', error);
  }
}
