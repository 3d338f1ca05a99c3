import { expect } from '@esm-bundle/chai';
import { loadXterm } from './xterm-loader.js';
import { adoptStylesheet, openTerminal } from './xterm-open.js';
import { until } from '../test/helpers.js';

describe('openTerminal', () => {
  it("leaves no <style> element in the page, yet xterm's theme, font and cursor rules apply and follow changes", async () => {
    const { Terminal, css } = await loadXterm();
    const host = document.createElement('div');
    document.body.append(host);
    const root = host.attachShadow({ mode: 'open' });
    adoptStylesheet(root, css);
    const area = document.createElement('div');
    area.style.cssText = 'width: 640px; height: 240px';
    root.append(area);
    const term = new Terminal({ fontFamily: 'monospace', cursorBlink: false, theme: { cursor: '#00ff00' } });
    const box = document.createElement('div');
    const styles = openTerminal(term, box, area, root);
    try {
      expect(root.querySelectorAll('style').length).to.equal(0);
      expect(document.querySelectorAll('style').length).to.equal(0);
      term.write('hello');
      term.focus();
      const rows = root.querySelector('.xterm-rows') as HTMLElement;
      await until(() => !!root.querySelector('.xterm-cursor'), 'the cursor');
      expect(getComputedStyle(rows).fontFamily).to.equal('monospace');
      const cursor = () => getComputedStyle(root.querySelector('.xterm-cursor')!).backgroundColor;
      await until(() => cursor() === 'rgb(0, 255, 0)', 'a green cursor');

      // xterm rewrites its rules on a theme change; the adopted copy follows.
      term.options.theme = { cursor: '#ff0000' };
      await until(() => cursor() === 'rgb(255, 0, 0)', 'a red cursor');

      // Disposed, the terminal's sheet leaves the shadow root.
      const before = root.adoptedStyleSheets.length;
      styles.dispose();
      expect(root.adoptedStyleSheets.length).to.equal(before - 1);
    } finally {
      term.dispose();
      host.remove();
    }
  });
});
