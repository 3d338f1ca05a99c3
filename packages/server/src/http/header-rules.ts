import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** One rule of a `_headers` file: a path (exact, or a prefix ending in `*`) and its headers. */
interface HeaderRule {
  path: string;
  prefix: boolean;
  headers: Record<string, string>;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Parses a `_headers` file, the format static hosts such as Netlify and Cloudflare Pages read:
 * a URL path on its own line, then indented `Name: value` lines for it. `#` starts a comment.
 *
 * ```
 * /csp.html
 *   Content-Security-Policy: default-src 'none'; script-src 'self'
 * ```
 *
 * Lines that are not understood are reported in `problems` and skipped.
 */
export function parseHeaderRules(text: string): { rules: HeaderRule[]; problems: string[] } {
  const rules: HeaderRule[] = [];
  const problems: string[] = [];
  let current: HeaderRule | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/\s+$/, '');
    if (!line.trim() || line.trim().startsWith('#')) return;
    if (!/^\s/.test(line)) {
      if (!line.startsWith('/')) {
        problems.push(`line ${index + 1}: a rule starts with a URL path like /page.html, got "${line}"`);
        current = undefined;
        return;
      }
      const prefix = line.endsWith('*');
      current = { path: prefix ? line.slice(0, -1) : line, prefix, headers: {} };
      rules.push(current);
      return;
    }
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim();
    if (!current || colon < 0 || !HEADER_NAME.test(name)) {
      problems.push(`line ${index + 1}: expected an indented "Name: value" under a path, got "${line.trim()}"`);
      return;
    }
    current.headers[name.toLowerCase()] = line.slice(colon + 1).trim();
  });
  return { rules, problems };
}

/**
 * The `_headers` file of a static folder, re-read whenever it changes, so an author can tighten a
 * page's Content-Security-Policy and reload the page to see the effect.
 */
export class HeaderRules {
  readonly #file: string;
  #mtimeMs = -1;
  #rules: HeaderRule[] = [];

  constructor(root: string) {
    this.#file = path.join(root, '_headers');
  }

  /** The headers for a URL path (later rules override earlier ones); undefined when none apply. */
  async headersFor(urlPath: string): Promise<Record<string, string> | undefined> {
    await this.#refresh();
    let headers: Record<string, string> | undefined;
    for (const rule of this.#rules) {
      if (rule.prefix ? urlPath.startsWith(rule.path) : urlPath === rule.path) headers = { ...headers, ...rule.headers };
    }
    return headers;
  }

  async #refresh(): Promise<void> {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(this.#file)).mtimeMs;
    } catch {
      this.#rules = [];
      this.#mtimeMs = -1;
      return;
    }
    if (mtimeMs === this.#mtimeMs) return;
    const { rules, problems } = parseHeaderRules(await readFile(this.#file, 'utf8'));
    for (const problem of problems) console.warn(`[ix-playground] ${this.#file}: ${problem}`);
    this.#rules = rules;
    this.#mtimeMs = mtimeMs;
  }
}
