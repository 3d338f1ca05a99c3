/** Prefix of everything this file keeps in localStorage. */
const PREFIX = 'ix-playground:v1:';

/**
 * What this browser remembers of a reader's saved playgrounds on this site, in localStorage: the
 * anonymous owner key they are saved under, and per element the last save made there, so the
 * element that saved (and only it) offers to resume on the reader's return.
 */
export const localSaves = {
  /**
   * The anonymous key that owns this reader's saved playgrounds on this site: a random secret sent
   * when a session starts (so it can be saved) and when listing saves. Made on first use; none where
   * storage is blocked (then nothing is saved).
   */
  owner(): string | undefined {
    try {
      const known = localStorage.getItem(`${PREFIX}owner`);
      if (known && /^[A-Za-z0-9_-]{16,200}$/.test(known)) return known;
      const bytes = crypto.getRandomValues(new Uint8Array(24));
      const key = btoa(String.fromCharCode(...bytes))
        .replace(/\+/g, '-')
        .replace(/\//g, '_');
      localStorage.setItem(`${PREFIX}owner`, key);
      return key;
    } catch {
      return undefined;
    }
  },

  /** The id of the last save made in the element remembered under `element`, if any. */
  last(element: string): string | undefined {
    try {
      return localStorage.getItem(`${PREFIX}saved:${element}`) ?? undefined;
    } catch {
      return undefined;
    }
  },

  /** Remembers save `id` for the element under `element`; `undefined` forgets it. */
  remember(element: string, id: string | undefined): void {
    try {
      if (id) localStorage.setItem(`${PREFIX}saved:${element}`, id);
      else localStorage.removeItem(`${PREFIX}saved:${element}`);
    } catch {
      // storage blocked: the offer just won't come
    }
  },
};
