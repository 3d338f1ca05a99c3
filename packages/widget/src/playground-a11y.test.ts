import { expect } from '@esm-bundle/chai';
import { sendKeys } from '@web/test-runner-commands';
import './define.js';
import type { IxPlayground } from './playground.js';
import { bufferText, mount, playgroundServerUrl, unmountAll, until } from '../test/helpers.js';

let serverUrl = '';

before(async () => {
  serverUrl = await playgroundServerUrl();
});

afterEach(() => unmountAll());

/** A button before and after a booted playground, to see where the focus goes. */
async function between(attrs: Record<string, string> = {}): Promise<{ el: IxPlayground; before: HTMLElement; after: HTMLElement }> {
  const before = mount('button', {}, 'before');
  const el = mount('ix-playground', { server: serverUrl, playground: 'hello', connect: 'eager', ...attrs });
  const after = mount('button', {}, 'after');
  await until(() => el.status === 'ready', 'ready');
  await until(() => /\$ $/m.test(bufferText(el)), 'the prompt');
  return { el, before, after };
}

const shadow = (el: IxPlayground) => el.shadowRoot!;
const inTerminal = (el: IxPlayground) => document.activeElement === el && shadow(el).activeElement === el.terminal?.textarea;
const hint = (el: IxPlayground) => shadow(el).querySelector<HTMLElement>('[part="hint"]')!;

describe('<ix-playground> for keyboard and screen-reader users', () => {
  it('keeps Tab for the shell, and lets the reader leave with Escape then Tab, or Escape then Shift+Tab', async () => {
    const { el, after } = await between();
    el.focus();
    await until(() => inTerminal(el), 'the terminal to have the focus');

    // Tab alone completes in the shell (notes.txt is the only match) and the focus stays.
    await sendKeys({ type: 'cat not' });
    await sendKeys({ press: 'Tab' });
    expect(inTerminal(el)).to.equal(true);
    await until(() => /\$ cat notes\.txt/.test(bufferText(el)), 'the shell to complete the name');
    await sendKeys({ press: 'Enter' });
    await until(() => /^Welcome!/m.test(bufferText(el)), 'the completed command to run');

    // Escape then Tab: on to the next thing on the page.
    await sendKeys({ press: 'Escape' });
    await sendKeys({ press: 'Tab' });
    expect(document.activeElement).to.equal(after);

    // Back in, Escape then Shift+Tab: to the controls above the terminal.
    el.focus();
    await until(() => inTerminal(el), 'the terminal to have the focus again');
    await sendKeys({ press: 'Escape' });
    await sendKeys({ down: 'Shift' });
    await sendKeys({ press: 'Tab' });
    await sendKeys({ up: 'Shift' });
    expect(document.activeElement).to.equal(el);
    expect(shadow(el).activeElement?.getAttribute('part')).to.equal('screen-reader-toggle');

    // An Escape followed by any other key stays in the terminal: vim users press Escape all the time.
    el.focus();
    await until(() => inTerminal(el), 'focus');
    await sendKeys({ press: 'Escape' });
    await sendKeys({ type: 'x' });
    await sendKeys({ press: 'Tab' });
    expect(inTerminal(el)).to.equal(true);
  });

  it('shows how to leave while the terminal has the focus, and draws a focus ring around it', async () => {
    const { el, after } = await between();
    expect(hint(el).hidden).to.equal(true);
    el.focus();
    await until(() => !hint(el).hidden, 'the hint to show');
    expect(hint(el).textContent).to.contain('Esc then Tab');
    expect(el.terminal!.textarea!.getAttribute('aria-describedby')).to.equal('hint');
    const ring = getComputedStyle(shadow(el).querySelector('[part="terminal"]')!);
    expect(ring.outlineStyle).to.equal('solid');
    expect(parseFloat(ring.outlineWidth)).to.be.at.least(2);
    after.focus();
    await until(() => hint(el).hidden, 'the hint to go');
    expect(getComputedStyle(shadow(el).querySelector('[part="terminal"]')!).outlineStyle).to.equal('none');
  });

  it('has tabs in a tablist, the new-tab button outside it, and arrow keys that move between tabs', async () => {
    const { el } = await between();
    el.openTab();
    await until(() => shadow(el).querySelectorAll('[role="tab"]').length === 2, 'two tabs');
    const list = shadow(el).querySelector('[role="tablist"]')!;
    expect(list.getAttribute('aria-label')).to.equal('Terminals');
    // Only tabs in the tablist (axe: aria-required-children); every control has a name.
    expect([...list.children].every((c) => c.getAttribute('role') === 'tab')).to.equal(true);
    expect(list.contains(shadow(el).querySelector('[part="new-tab"]'))).to.equal(false);
    for (const button of shadow(el).querySelectorAll('button')) expect(button.getAttribute('aria-label') || button.textContent!.trim()).to.not.equal('');
    // Each tab controls its panel, which holds its terminal.
    const tabs = () => [...shadow(el).querySelectorAll<HTMLElement>('[role="tab"]')];
    for (const tab of tabs()) {
      const panel = shadow(el).getElementById(tab.getAttribute('aria-controls')!)!;
      expect(panel.getAttribute('role')).to.equal('tabpanel');
      expect(panel.getAttribute('aria-labelledby')).to.equal(tab.id);
    }
    // The selected tab is the one in the Tab order (roving tabindex); arrows move and select.
    expect(tabs().map((t) => t.tabIndex)).to.deep.equal([-1, 0]);
    tabs()[1]!.focus();
    await sendKeys({ press: 'ArrowLeft' });
    await until(() => tabs()[0]!.getAttribute('aria-selected') === 'true', 'the first tab to be selected');
    expect(shadow(el).activeElement).to.equal(tabs()[0]);
    await sendKeys({ press: 'End' });
    await until(() => tabs()[1]!.getAttribute('aria-selected') === 'true', 'the last tab to be selected');
    expect(shadow(el).activeElement).to.equal(tabs()[1]);
  });

  it('turns on screen-reader mode from its toolbar toggle, and from the screen-reader attribute', async () => {
    const { el } = await between();
    const toggle = shadow(el).querySelector<HTMLButtonElement>('[part="screen-reader-toggle"]')!;
    expect(toggle.textContent).to.contain('Screen reader');
    expect(toggle.getAttribute('aria-pressed')).to.equal('false');
    expect(el.terminal!.options.screenReaderMode).to.equal(false);
    expect(shadow(el).querySelector('.xterm-accessibility')).to.equal(null);

    toggle.click();
    await until(() => el.terminal!.options.screenReaderMode === true, 'screen-reader mode');
    await el.updateComplete;
    expect(el.hasAttribute('screen-reader')).to.equal(true);
    expect(toggle.getAttribute('aria-pressed')).to.equal('true');
    // xterm's accessible copy of the screen: rows a screen reader can read, output announced politely.
    el.run('echo spoken-$((6*7))');
    await until(() => /spoken-42/.test(shadow(el).querySelector('.xterm-accessibility')?.textContent ?? ''), 'the output in the accessibility tree');

    toggle.click();
    await until(() => el.terminal!.options.screenReaderMode === false, 'screen-reader mode off');
    expect(el.hasAttribute('screen-reader')).to.equal(false);

    const on = mount('ix-playground', { server: serverUrl, playground: 'hello', connect: 'eager', 'screen-reader': '' });
    await until(() => on.status === 'ready', 'the second playground');
    expect(on.terminal!.options.screenReaderMode).to.equal(true);
  });

  it('announces its status through a polite live region', async () => {
    const el = mount('ix-playground', { server: serverUrl, playground: 'hello', connect: 'click' });
    await el.updateComplete;
    const region = shadow(el).querySelector('[role="status"]:not([part])')!;
    expect(region.getAttribute('aria-live') ?? 'polite').to.equal('polite'); // role=status is polite
    shadow(el).querySelector<HTMLButtonElement>('[part="overlay-button"]')!.click();
    await until(() => region.textContent!.includes('Starting your machine'), 'connecting to be announced');
    await until(() => region.textContent!.trim() === 'Terminal ready.', 'ready to be announced');
    el.run('exit');
    await until(() => region.textContent!.includes('The shell exited.'), 'the end to be announced');
  });
});
