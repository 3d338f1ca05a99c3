import { expect } from '@esm-bundle/chai';
import { render } from 'lit';
import { renderMarkdown } from './markdown.js';

function md(source: string): HTMLElement {
  const el = document.createElement('div');
  render(renderMarkdown(source), el);
  return el;
}

/** The element tree without Lit's comment markers, for comparison. */
function shape(el: Element): string {
  const clone = el.cloneNode(true) as Element;
  const walk = (n: Node) => {
    for (const c of [...n.childNodes]) {
      if (c.nodeType === Node.COMMENT_NODE) c.remove();
      else walk(c);
    }
  };
  walk(clone);
  return clone.innerHTML;
}

describe('renderMarkdown (hints)', () => {
  it('renders paragraphs, lists, code, emphasis and http(s) links', () => {
    const el = md(
      'Use `chmod 600` and **read** *the* _manual_.\nSame paragraph.\n\n- one\n- [two](https://example.com/a?b=1&c=2)\n\n```\nls -l\n  <b>x</b>\n```',
    );
    expect(shape(el)).to.equal(
      '<p>Use <code>chmod 600</code> and <strong>read</strong> <em>the</em> <em>manual</em>. Same paragraph.</p>' +
        '<ul><li>one</li><li><a target="_blank" rel="noopener noreferrer" href="https://example.com/a?b=1&amp;c=2">two</a></li></ul>' +
        '<pre><code>ls -l\n  &lt;b&gt;x&lt;/b&gt;</code></pre>',
    );
  });

  it('never turns text into elements or attributes', () => {
    const el = md('<img src=x onerror=alert(1)> <script>alert(1)</script> <a href="javascript:alert(1)">x</a> **<svg onload=alert(1)>**');
    expect(el.querySelectorAll('img, script, a, svg').length).to.equal(0);
    expect(el.textContent).to.equal('<img src=x onerror=alert(1)> <script>alert(1)</script> <a href="javascript:alert(1)">x</a> <svg onload=alert(1)>');
  });

  it('makes links only for absolute http and https URLs', () => {
    const bad = [
      'javascript:alert(1)',
      'javascript:window.x=1',
      'JaVaScRiPt:alert(1)',
      'data:text/html;base64,PHNjcmlwdD4=',
      'vbscript:x',
      '/relative',
      '//evil.example/x',
      'java\tscript:alert(1)',
    ];
    for (const url of bad) {
      const el = md(`[label](${url})`);
      expect(el.querySelector('a')?.outerHTML, url).to.equal(undefined);
      expect(el.textContent, url).to.contain('label');
    }
    expect(md('[ok](http://example.com)').querySelector('a')!.href).to.equal('http://example.com/');
  });

  it('does not nest links and keeps underscores inside words', () => {
    const el = md('[a [b](https://b.example) c](https://a.example) snake_case_name');
    expect(el.querySelectorAll('a a').length).to.equal(0);
    expect(el.textContent).to.contain('snake_case_name');
    expect(el.querySelector('em')?.outerHTML).to.equal(undefined);
  });
});
