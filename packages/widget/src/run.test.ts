import { expect } from '@esm-bundle/chai';
import './define.js';
import { dedent, type IxRun } from './run.js';
import { bufferText, mount, playgroundServerUrl, uniqueId, unmountAll, until } from '../test/helpers.js';

let serverUrl = '';

before(async () => {
  serverUrl = await playgroundServerUrl();
});

afterEach(() => {
  unmountAll();
  delete (navigator as { clipboard?: unknown }).clipboard; // drop a test's stub; the prototype's getter is back
  getSelection()?.removeAllRanges();
});

const button = (el: IxRun, name: 'run' | 'copy') => el.shadowRoot!.querySelector<HTMLButtonElement>(`button.${name}`)!;
const feedback = (el: IxRun) => el.shadowRoot!.querySelector('.feedback')!.textContent ?? '';

function stubClipboard(value: unknown): void {
  Object.defineProperty(navigator, 'clipboard', { value, configurable: true });
}

describe('<ix-run>', () => {
  it('shows its command with labelled Run and Copy buttons', async () => {
    const el = mount('ix-run', { for: 'lab' }, 'docker ps');
    await el.updateComplete;
    expect(el.command).to.equal('docker ps');
    expect(el.shadowRoot!.querySelector('slot')!.assignedNodes()[0]!.textContent).to.equal('docker ps');
    expect(button(el, 'run').textContent).to.equal('Run');
    expect(button(el, 'run').getAttribute('aria-label')).to.equal('Run in the terminal: docker ps');
    expect(button(el, 'copy').getAttribute('aria-label')).to.equal('Copy: docker ps');
    expect(el.shadowRoot!.querySelector('[aria-live="polite"]') !== null).to.equal(true);
  });

  it('types its command into an idle playground, which starts for it', async function () {
    this.timeout(30_000);
    const id = uniqueId('lab');
    const pg = mount('ix-playground', { id, server: serverUrl, playground: 'hello', connect: 'click' });
    const el = mount('ix-run', { for: id }, '\n      echo ix-run-$((20+22))\n    ');
    await el.updateComplete;
    expect(pg.status).to.equal('idle');
    button(el, 'run').click();
    await until(() => pg.status === 'ready', 'the playground to start', 15_000);
    await until(() => /^ix-run-42$/m.test(bufferText(pg)), 'ix-run-42 in the terminal', 15_000);
    expect(feedback(el)).to.equal('Sent to the terminal.');
  });

  it('says so when for names no playground', async () => {
    const el = mount('ix-run', { for: 'no-such-lab' }, 'ls');
    await el.updateComplete;
    button(el, 'run').click();
    await el.updateComplete;
    expect(feedback(el)).to.equal('There is no <ix-playground id="no-such-lab"> on this page.');
  });

  it('copies its command to the clipboard', async () => {
    let copied: string | undefined;
    stubClipboard({ writeText: async (text: string) => void (copied = text) });
    const el = mount('ix-run', { for: 'lab' }, '  ls -l\n  cat notes.txt  ');
    await el.updateComplete;
    button(el, 'copy').click();
    await until(() => feedback(el) === 'Copied.', 'Copied.');
    expect(copied).to.equal('ls -l\ncat notes.txt');
  });

  it('selects the command for Ctrl+C where the clipboard is unavailable', async () => {
    stubClipboard(undefined);
    const el = mount('ix-run', { for: 'lab' }, 'whoami');
    await el.updateComplete;
    button(el, 'copy').click();
    await until(() => feedback(el).includes('press Ctrl+C'), 'the fallback message');
    expect(getSelection()!.toString()).to.equal('whoami');
  });

  it('also falls back when the browser refuses the clipboard', async () => {
    stubClipboard({ writeText: () => Promise.reject(new DOMException('denied', 'NotAllowedError')) });
    const el = mount('ix-run', { for: 'lab' }, 'id');
    await el.updateComplete;
    button(el, 'copy').click();
    await until(() => feedback(el).includes('press Ctrl+C'), 'the fallback message');
  });

  it('keeps the lines of a multi-line command, without the page’s indentation', () => {
    expect(dedent('\n    mkdir -p a\n      cd a\n    ls\n  ')).to.equal('mkdir -p a\n  cd a\nls');
    expect(dedent('   ')).to.equal('');
  });
});
