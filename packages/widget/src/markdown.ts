import { html, type TemplateResult } from 'lit';

/**
 * A tiny markdown renderer for task hints: paragraphs, `-` lists, fenced code blocks, code spans,
 * `**strong**`, `*em*`/`_em_` and `[links](https://…)`.
 *
 * It never parses HTML: every piece of source text reaches the page through a Lit text binding, so
 * `<img onerror=…>` in a hint is shown as those characters, and there is no sanitiser to keep up to
 * date. Links are made only for absolute http(s) URLs; anything else (`javascript:`, `data:`,
 * relative) stays plain text. It also works under a strict CSP with Trusted Types, where
 * `innerHTML` would not.
 */
export function renderMarkdown(source: string): TemplateResult[] {
  return blocks(source.replace(/\r\n?/g, '\n').slice(0, MAX_SOURCE));
}

/** Hints are short; anything longer is cut rather than rendered slowly. */
const MAX_SOURCE = 10_000;

type Inline = TemplateResult | string;

function blocks(source: string): TemplateResult[] {
  const out: TemplateResult[] = [];
  const lines = source.split('\n');
  let para: string[] = [];
  let list: string[] = [];
  const flush = () => {
    if (para.length) out.push(html`<p>${inline(para.join(' '))}</p>`);
    if (list.length) out.push(html`<ul>${list.map((item) => html`<li>${inline(item)}</li>`)}</ul>`);
    para = [];
    list = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const fence = /^\s*(```|~~~)/.exec(line);
    if (fence) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !(lines[i] as string).trimStart().startsWith(fence[1] as string); i++) code.push(lines[i] as string);
      out.push(html`<pre><code>${code.join('\n')}</code></pre>`);
      continue;
    }
    const item = /^\s*[-*+]\s+(.*)$/.exec(line);
    if (item) {
      if (para.length) flush();
      list.push(item[1] as string);
    } else if (!line.trim()) {
      flush();
    } else if (list.length && /^\s+\S/.test(line)) {
      list[list.length - 1] += ' ' + line.trim(); // continuation of a list item
    } else {
      if (list.length) flush();
      para.push(line.trim());
    }
  }
  flush();
  return out;
}

// Earliest match wins: code span, link, strong, emphasis.
const INLINE = /`([^`]+)`|\[([^\]]+)\]\(([^()\s]*)\)|\*\*(.+?)\*\*|\*([^*\s](?:.*?[^*\s])?)\*|(?<![\w])_([^_\s](?:.*?[^_\s])?)_(?![\w])/g;

function inline(text: string, inLink = false): Inline[] {
  const out: Inline[] = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    const at = m.index ?? 0;
    if (at > last) out.push(text.slice(last, at));
    last = at + m[0].length;
    const [, code, label, url, strong, em1, em2] = m;
    if (code !== undefined) out.push(html`<code>${code}</code>`);
    else if (label !== undefined) out.push(link(label, url ?? '', inLink));
    else if (strong !== undefined) out.push(html`<strong>${inline(strong, inLink)}</strong>`);
    else out.push(html`<em>${inline((em1 ?? em2) as string, inLink)}</em>`);
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function link(label: string, url: string, inLink: boolean): Inline {
  const href = safeUrl(url);
  if (!href || inLink) return html`${inline(label, true)}`;
  return html`<a href=${href} target="_blank" rel="noopener noreferrer">${inline(label, true)}</a>`;
}

/** The URL if it is absolute http(s), else undefined. */
export function safeUrl(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}
