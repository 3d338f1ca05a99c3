import { expect } from '@esm-bundle/chai';
import { emulateMedia } from '@web/test-runner-commands';
import './define.js';
import type { IxPlayground } from './playground.js';
import { mount, playgroundServerUrl, uniqueId, unmountAll, until } from '../test/helpers.js';

let serverUrl = '';

before(async () => {
  serverUrl = await playgroundServerUrl();
});

afterEach(async () => {
  unmountAll();
  await emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
});

const bg = (el: Element) => getComputedStyle(el).backgroundColor;
const fg = (el: Element) => getComputedStyle(el).color;
/** The colour the terminal's rows are really drawn in (xterm's DOM renderer). */
const drawn = (el: IxPlayground) => getComputedStyle(el.shadowRoot!.querySelector('.xterm-scrollable-element')!).backgroundColor;

const DARK_BG = 'rgb(30, 30, 30)';
const LIGHT_BG = 'rgb(255, 255, 255)';

async function booted(attrs: Record<string, string> = {}): Promise<IxPlayground> {
  const el = mount('ix-playground', { server: serverUrl, playground: 'hello', connect: 'eager', ...attrs });
  await until(() => el.status === 'ready', 'ready').catch((e) => {
    throw new Error(`${e.message}: ${el.status} ${el.shadowRoot?.textContent}`);
  });
  return el;
}

describe('themes', () => {
  it('are light by default and dark when the reader prefers dark: playground, terminal, checklist and snippet', async () => {
    const id = uniqueId('lab');
    const el = await booted({ id });
    const tasks = mount('ix-tasks', { for: id });
    const run = mount('ix-run', { for: id }, 'ls');
    await tasks.updateComplete;
    expect(bg(el)).to.equal(LIGHT_BG);
    expect(fg(el)).to.equal('rgb(31, 35, 40)');
    expect(drawn(el)).to.equal(LIGHT_BG);
    expect(bg(tasks)).to.equal('rgb(246, 248, 250)');
    expect(bg(run)).to.equal('rgb(239, 242, 245)');

    await emulateMedia({ colorScheme: 'dark' });
    expect(bg(el)).to.equal(DARK_BG);
    expect(fg(el)).to.equal('rgb(230, 230, 230)');
    // The running terminal follows at once, without a reload.
    await until(() => drawn(el) === DARK_BG, 'the terminal to turn dark');
    expect(el.terminal!.options.theme!.foreground).to.equal('rgb(230, 230, 230)');
    expect(bg(tasks)).to.equal('rgb(22, 27, 34)');
    expect(fg(tasks)).to.equal('rgb(230, 237, 243)');
    expect(bg(run)).to.equal('rgb(45, 51, 59)');
    // The Run button keeps white text on a green dark enough for it (5.1:1).
    expect(bg(run.shadowRoot!.querySelector('[part="run-button"]')!)).to.equal('rgb(26, 127, 55)');
    expect(fg(run.shadowRoot!.querySelector('[part="run-button"]')!)).to.equal('rgb(255, 255, 255)');
    // Nothing in the checklist is an emoji any more: the icons are inline SVG.
    await until(() => !!tasks.shadowRoot!.querySelector('.task'), 'tasks');
    expect(tasks.shadowRoot!.querySelector('.task svg.icon')).to.not.equal(null);
  });

  it('follow the theme attribute over the reader preference', async () => {
    await emulateMedia({ colorScheme: 'dark' });
    const light = await booted({ theme: 'light' });
    expect(bg(light)).to.equal(LIGHT_BG);
    expect(drawn(light)).to.equal(LIGHT_BG);
    const tasks = mount('ix-tasks', { for: 'x', theme: 'light' });
    expect(bg(tasks)).to.equal('rgb(246, 248, 250)');

    await emulateMedia({ colorScheme: 'light' });
    const dark = await booted({ theme: 'dark' });
    expect(bg(dark)).to.equal(DARK_BG);
    expect(drawn(dark)).to.equal(DARK_BG);
    expect(bg(mount('ix-run', { theme: 'dark' }, 'ls'))).to.equal('rgb(45, 51, 59)');

    // Changing the attribute restyles a running terminal; `auto` follows the reader again.
    dark.theme = 'light';
    await until(() => drawn(dark) === LIGHT_BG, 'the terminal to turn light');
    dark.setAttribute('theme', 'auto');
    await emulateMedia({ colorScheme: 'dark' });
    await until(() => drawn(dark) === DARK_BG, 'auto to follow the dark preference');
  });

  it('take the terminal font, the ANSI colours, cursor and selection from CSS custom properties', async () => {
    const el = mount('ix-playground', { server: serverUrl, playground: 'hello', connect: 'eager' });
    el.style.cssText =
      '--ix-playground-bg: #fdf6e3; --ix-playground-fg: #586e75; --ix-playground-cursor: #d33682; --ix-playground-selection: #eee8d5;' +
      '--ix-playground-font-family: monospace; --ix-playground-font-size: 16px; --ix-playground-ansi-red: #dc322f; --ix-playground-ansi-bright-blue: #268bd2';
    await until(() => el.status === 'ready', 'ready').catch((e) => {
      throw new Error(`${e.message}: ${el.status} ${el.shadowRoot?.textContent}`);
    });
    const options = el.terminal!.options;
    expect(options.theme).to.include({
      background: 'rgb(253, 246, 227)',
      foreground: 'rgb(88, 110, 117)',
      cursor: '#d33682',
      selectionBackground: '#eee8d5',
      red: '#dc322f',
      brightBlue: '#268bd2',
    });
    expect(options.fontFamily).to.equal('monospace');
    expect(options.fontSize).to.equal(16);
    expect(drawn(el)).to.equal('rgb(253, 246, 227)');
  });

  it('stop the cursor blinking for readers who prefer reduced motion', async () => {
    const el = await booted();
    expect(el.terminal!.options.cursorBlink).to.equal(true);
    await emulateMedia({ reducedMotion: 'reduce' });
    await until(() => el.terminal!.options.cursorBlink === false, 'the cursor to stop blinking');
    const still = await booted();
    expect(still.terminal!.options.cursorBlink).to.equal(false);
  });
});

describe('the hidden attribute', () => {
  it('hides the playground, the checklist and the snippet like any element, and shows them again without it', async () => {
    const elements = [
      mount('ix-playground', { server: serverUrl, playground: 'hello', connect: 'click', hidden: '' }),
      mount('ix-tasks', { for: uniqueId('lab'), hidden: '' }),
      mount('ix-run', { hidden: '' }, 'ls'),
    ];
    await Promise.all(elements.map((el) => el.updateComplete));
    expect(elements.map((el) => getComputedStyle(el).display)).to.deep.equal(['none', 'none', 'none']);
    for (const el of elements) el.hidden = false;
    expect(elements.map((el) => getComputedStyle(el).display)).to.deep.equal(['flex', 'block', 'block']);
  });
});
