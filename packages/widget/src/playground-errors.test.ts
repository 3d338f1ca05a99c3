import { expect } from '@esm-bundle/chai';
import './define.js';
import type { IxErrorEvent } from './events.js';
import type { IxPlayground } from './playground.js';
import { mount, playgroundServerUrl, unmountAll, until } from '../test/helpers.js';

let serverUrl = '';

before(async () => {
  serverUrl = await playgroundServerUrl();
});

afterEach(() => unmountAll());

/** What the reader sees on the overlay: its title, message and button (if any), and the code behind it. */
function overlay(el: IxPlayground): { code: string; title: string; message: string; button: string } {
  const root = el.shadowRoot!.querySelector<HTMLElement>('[part="overlay"]')!;
  return {
    code: root.dataset.code ?? '',
    title: root.querySelector('strong')?.textContent?.trim() ?? '',
    message: root.querySelector('.message')?.textContent ?? '',
    button: root.querySelector('button')?.textContent?.trim() ?? '',
  };
}

function errorsOf(el: IxPlayground): string[] {
  const codes: string[] = [];
  el.addEventListener('ix-error', (e: IxErrorEvent) => codes.push(e.detail.code));
  return codes;
}

describe('<ix-playground> errors', () => {
  it('says when the server cannot be reached, tries again further and further apart, and offers Retry', async () => {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    const el = mount('ix-playground', { server: 'http://127.0.0.1:9', playground: 'hello', connect: 'eager' });
    const codes = errorsOf(el);
    await until(() => el.status === 'error', 'the error');
    await el.updateComplete;
    expect(codes).to.deep.equal(['network']);
    expect(overlay(el)).to.deep.include({ code: 'network', title: 'Cannot reach the playground server', button: 'Retry' });
    expect(overlay(el).message).to.contain('cannot reach the playground server at http://127.0.0.1:9');
    expect(overlay(el).message).to.contain('Trying again in 2 s.');
    // It tries again by itself, and waits longer the next time.
    await until(() => codes.length === 2, 'the automatic retry', 5000);
    await until(() => overlay(el).message.includes('Trying again in 4 s.'), 'a longer wait');
    // Retry tries at once.
    el.shadowRoot!.querySelector<HTMLButtonElement>('[part="overlay-button"]')!.click();
    await until(() => codes.length === 3, 'the retry');
  });

  it('names the playgrounds the server has when the name is wrong, and offers nothing that cannot help', async () => {
    const el = mount('ix-playground', { server: serverUrl, playground: 'helo', connect: 'eager' });
    const codes = errorsOf(el);
    await until(() => el.status === 'error', 'the error');
    await el.updateComplete;
    expect(codes).to.deep.equal(['playground-not-found']);
    expect(overlay(el)).to.deep.include({ code: 'playground-not-found', title: 'No such playground', button: '' });
    expect(overlay(el).message).to.match(/no playground named "helo"; this server has: .*\bhello\b.*\bpermissions\b/);
  });

  it('offers a new session once the session has ended, and only then', async () => {
    const el = mount('ix-playground', { server: serverUrl, playground: 'hello', connect: 'eager' });
    const codes = errorsOf(el);
    await until(() => el.status === 'ready', 'ready');
    const first = el.session!.id;
    el.run('exit');
    await until(() => el.status === 'ended', 'ended');
    await el.updateComplete;
    expect(overlay(el)).to.deep.include({ message: 'The shell exited.', button: 'Start a new session' });
    expect(codes).to.deep.equal([]); // the reader ended it: not an error
    el.shadowRoot!.querySelector<HTMLButtonElement>('[part="overlay-button"]')!.click();
    await until(() => el.status === 'ready', 'a new session');
    expect(el.session!.id).to.not.equal(first);
  });

  it('has no Retry for a page that forgot the playground attribute', async () => {
    const el = mount('ix-playground', { server: serverUrl, connect: 'eager' });
    await until(() => el.status === 'error', 'the error');
    await el.updateComplete;
    expect(overlay(el)).to.deep.include({ code: 'bad-request', button: '' });
    expect(overlay(el).message).to.contain('set the playground attribute');
  });
});
