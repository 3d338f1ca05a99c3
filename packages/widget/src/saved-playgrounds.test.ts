import { expect } from '@esm-bundle/chai';
import './define.js';
import type { IxSavedEvent } from './events.js';
import type { IxPlayground } from './playground.js';
import { bufferText, mount, playgroundServerUrl, unmountAll, until } from '../test/helpers.js';

let serverUrl = '';

before(async () => {
  serverUrl = await playgroundServerUrl();
  localStorage.removeItem('ix-playground:v1:owner'); // a reader who never saved anything here
});

after(() => {
  // Other test files on this page must not be offered what these tests saved.
  for (const key of Object.keys(localStorage)) if (key.startsWith('ix-playground:v1:saved:')) localStorage.removeItem(key);
});

afterEach(() => unmountAll());

const part = (el: IxPlayground, name: string) => el.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`);

/** Writes a file in the playground and waits until the shell says it is written. */
async function write(el: IxPlayground, text: string): Promise<void> {
  el.run(`echo ${text} > ~/note.txt && echo wr""ote-${text}`);
  await until(() => new RegExp(`^wrote-${text}$`, 'm').test(bufferText(el)), 'the file to be written');
}

/** Saves and stops through the toolbar as a reader does; answers what `ix-saved` said. */
async function saveAndStop(el: IxPlayground): Promise<IxSavedEvent['detail']> {
  const saved = new Promise<IxSavedEvent['detail']>((resolve) => el.addEventListener('ix-saved', (e) => resolve(e.detail), { once: true }));
  part(el, 'save-button')!.click();
  await until(() => !!part(el, 'save-confirm'), 'the question whether to save and stop');
  expect(el.shadowRoot!.querySelector('.strip')!.textContent).to.contain('Programs that are running stop');
  expect(el.shadowRoot!.activeElement, 'the focus moves into the question').to.equal(el.shadowRoot!.querySelector('.strip button'));
  part(el, 'save-confirm')!.click();
  await until(() => el.status === 'ended', 'the playground to stop', 20_000);
  return saved;
}

describe('<ix-playground> saved playgrounds', () => {
  it('a first visit offers nothing; save and stop keeps the files, and on return the reader resumes them', async () => {
    const el = mount('ix-playground', { id: 'days', server: serverUrl, playground: 'hello', connect: 'eager' });
    await until(() => el.status === 'ready', 'the session', 20_000);
    expect(part(el, 'resume-offer')).to.equal(null);
    await write(el, 'kept-across-days');
    const snapshot = await saveAndStop(el);
    expect(snapshot.playground).to.equal('hello');
    expect(snapshot.id).to.be.a('string').with.length.above(0);
    await el.updateComplete;
    const message = el.shadowRoot!.querySelector('.message')!.textContent!;
    expect(message).to.contain('Your files are saved (kept until');
    expect(message).to.contain('programs that were running have stopped');
    el.remove();
    sessionStorage.clear();

    // Another day: the same reader (same owner key) opens the page again. Only the element that
    // saved offers to resume; another playground of the same name on the page starts as usual.
    const other = mount('ix-playground', { id: 'elsewhere', server: serverUrl, playground: 'hello', connect: 'eager' });
    const back = mount('ix-playground', { id: 'days', server: serverUrl, playground: 'hello', connect: 'eager' });
    await until(() => !!part(back, 'resume-button'), 'the offer to resume');
    const offer = part(back, 'resume-offer')!;
    expect(part(back, 'resume-button')!.textContent).to.match(/Resume your playground from \S/);
    expect(offer.textContent).to.contain('programs that were running do not');
    part(back, 'resume-button')!.click();
    await until(() => back.status === 'ready', 'the restored session', 20_000);
    expect(part(back, 'resume-offer')).to.equal(null);
    back.run('cat ~/note.txt');
    await until(() => /^kept-across-days$/m.test(bufferText(back)), 'the saved file in the new session');
    await until(() => other.status === 'ready', "the other element's session", 20_000);
    expect(part(other, 'resume-offer')).to.equal(null);
  });

  it('"Start fresh" starts without the saved files, and the choice is not asked again', async () => {
    const el = mount('ix-playground', { id: 'fresh', server: serverUrl, playground: 'hello', connect: 'eager' });
    await until(() => el.status === 'ready', 'the session', 20_000);
    await write(el, 'second-save');
    await saveAndStop(el);
    // "Start a new session" on the overlay: the offer for what was just saved.
    el.shadowRoot!.querySelector<HTMLButtonElement>('[part="overlay-button"]')!.click();
    await until(() => !!part(el, 'fresh-button'), 'the offer');
    part(el, 'fresh-button')!.click();
    await until(() => el.status === 'ready', 'a fresh session', 20_000);
    el.run('cat ~/note.txt || echo no-""note');
    await until(() => /^no-note$/m.test(bufferText(el)), 'no saved file in a fresh session');
    el.restart();
    await until(() => el.status === 'ready', 'another fresh session', 20_000);
    expect(part(el, 'resume-offer'), 'declined once, not offered again').to.equal(null);
    el.remove();
    sessionStorage.clear();
    const again = mount('ix-playground', { id: 'fresh', server: serverUrl, playground: 'hello', connect: 'eager' });
    await until(() => again.status === 'ready', 'the session on the next visit', 20_000);
    expect(part(again, 'resume-offer'), 'nor on the next visit').to.equal(null);
  });

  it('an element taken out of the page while offering starts cleanly when it comes back', async () => {
    const first = mount('ix-playground', { id: 'moved', server: serverUrl, playground: 'hello', connect: 'eager' });
    await until(() => first.status === 'ready', 'the session', 20_000);
    expect(part(first, 'resume-offer')).to.equal(null);
    await write(first, 'moved-around');
    await saveAndStop(first);
    first.remove();
    sessionStorage.clear();

    const el = mount('ix-playground', { id: 'moved', server: serverUrl, playground: 'hello', connect: 'eager' });
    await until(() => !!part(el, 'resume-button'), 'the offer', 20_000);
    el.remove();
    expect(el.status).to.equal('idle');
    document.body.append(el);
    await until(() => !!part(el, 'resume-button'), 'the offer again');
    expect(el.shadowRoot!.querySelectorAll('[part="resume-offer"]').length, 'one offer, not two').to.equal(1);
    part(el, 'resume-button')!.click();
    await until(() => el.status === 'ready', 'the restored session', 20_000);
    el.run('cat ~/note.txt');
    await until(() => /^moved-around$/m.test(bufferText(el)), 'the saved file');
  });
});
