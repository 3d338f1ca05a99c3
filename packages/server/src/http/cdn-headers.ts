/** Chunk names the widget build gives content hashes, e.g. `xterm.Ab12_-Cd.js` (see rollup.config.mjs). */
const HASHED_NAME = /\.[A-Za-z0-9_-]{8,}\.(?:js|css)$/;

/** A year: the longest max-age caches honour; a hashed name never changes its content. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Headers for the widget's CDN files under `/widget/`. They are public code, so any page may load
 * them (`<script type="module">` from another origin needs CORS); the session API keeps its own
 * origin check. Hashed chunks are cached for good; the entry, `ix-playground.js`, is revalidated
 * on every use (an ETag makes that a 304) so a new release reaches pages at once.
 */
export function widgetFileHeaders(file: string): Record<string, string> {
  return {
    'access-control-allow-origin': '*',
    'cross-origin-resource-policy': 'cross-origin',
    'cache-control': HASHED_NAME.test(file) ? IMMUTABLE : 'no-cache',
  };
}
