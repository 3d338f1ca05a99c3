import { expect } from '@esm-bundle/chai';
import './define.js';
import type { IxPlayground } from './playground.js';
import { bufferText, mount, playgroundServerUrl, unmountAll, until } from '../test/helpers.js';

let serverUrl = '';

before(async () => {
  serverUrl = await playgroundServerUrl();
});

afterEach(() => unmountAll());

const part = (el: IxPlayground, name: string) => el.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`);

/** The next message a page in a preview posts to this page (its text and origin), within 15 s. */
function nextPreviewMessage(): Promise<MessageEvent<{ heading: string; origin: string }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the preview never loaded')), 15_000);
    window.addEventListener('message', function listen(event: MessageEvent) {
      if (typeof event.data?.heading !== 'string') return;
      clearTimeout(timer);
      window.removeEventListener('message', listen);
      resolve(event);
    });
  });
}

describe('<ix-playground> web preview', () => {
  it('previews any port the learner serves, on an origin of its own, with reload and open in a new tab', async () => {
    const el = mount('ix-playground', { server: serverUrl, playground: 'hello', connect: 'eager' });
    await until(() => el.status === 'ready', 'the session', 20_000);
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    // A page that tells this page what it shows and where it comes from.
    el.run(
      `mkdir -p ~/www && echo '<h1>served by the learner</h1><script>parent.postMessage({heading: document.querySelector("h1").textContent, origin: location.origin}, "*")</script>' > ~/www/index.html && python3 -m http.server ${port} --directory ~/www`,
    );
    await until(() => /Serving HTTP on/.test(bufferText(el)), 'the learner’s server', 15_000);

    part(el, 'preview-button')!.click();
    await until(() => !!el.shadowRoot!.querySelector('.strip input'), 'the port question');
    const input = el.shadowRoot!.querySelector<HTMLInputElement>('.strip input')!;
    expect(el.shadowRoot!.activeElement, 'the focus moves to the port field').to.equal(input);
    input.value = String(port);
    const loaded = nextPreviewMessage();
    el.shadowRoot!.querySelector<HTMLFormElement>('form.strip')!.requestSubmit();
    const message = await loaded;
    expect(message.data.heading).to.equal('served by the learner');
    expect(message.origin, 'not this page’s origin').to.not.equal(location.origin);
    expect(message.origin, 'not the server’s origin').to.not.equal(new URL(serverUrl).origin);

    // The preview is a tab of its own, selected, with the terminals' tab hidden behind it.
    await el.updateComplete;
    const tab = el.shadowRoot!.querySelector<HTMLElement>('[role="tab"][aria-selected="true"]')!;
    expect(tab.textContent!.trim()).to.equal(`Port ${port}`);
    const panel = el.shadowRoot!.getElementById(tab.getAttribute('aria-controls')!)!;
    expect(panel.hidden).to.equal(false);
    expect(panel.getAttribute('aria-labelledby')).to.equal(tab.id);
    const link = panel.querySelector<HTMLAnchorElement>('[part="preview-open"]')!;
    expect(new URL(link.href).origin).to.equal(message.origin);
    expect(link.target).to.equal('_blank');
    expect(link.rel).to.contain('noopener');
    expect(panel.querySelector('iframe')!.title).to.contain(`port ${port}`);
    expect(el.shadowRoot!.querySelector<HTMLElement>('.screen')!.hidden, 'the terminal is hidden behind the preview').to.equal(true);

    // Reload fetches the page again.
    const reloaded = nextPreviewMessage();
    panel.querySelector<HTMLButtonElement>('[part="preview-reload"]')!.click();
    expect((await reloaded).data.heading).to.equal('served by the learner');

    // Back to the terminal: its tab shows it again, the preview hides; arrow keys move between them.
    el.shadowRoot!.querySelector<HTMLElement>('[role="tab"]')!.click();
    await el.updateComplete;
    expect(panel.hidden).to.equal(true);
    expect(el.shadowRoot!.querySelector<HTMLElement>('.screen')!.hidden).to.equal(false);
    const tabs = el.shadowRoot!.querySelector<HTMLElement>('[role="tablist"]')!;
    tabs.dispatchEvent(new KeyboardEvent('keydown', { key: 'End', bubbles: true }));
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[role="tab"][aria-selected="true"]')!.textContent!.trim()).to.equal(`Port ${port}`);
    expect(panel.hidden).to.equal(false);
  });

  it('a port that is not one is refused by the form, and no preview is asked for', async () => {
    const el = mount('ix-playground', { server: serverUrl, playground: 'hello', connect: 'eager' });
    await until(() => el.status === 'ready', 'the session', 20_000);
    part(el, 'preview-button')!.click();
    await until(() => !!el.shadowRoot!.querySelector('.strip input'), 'the port question');
    const input = el.shadowRoot!.querySelector<HTMLInputElement>('.strip input')!;
    const form = el.shadowRoot!.querySelector<HTMLFormElement>('form.strip')!;
    for (const value of ['', '0', '70000', '80.5']) {
      input.value = value;
      form.requestSubmit();
      expect(input.validity.valid, `port "${value}"`).to.equal(false);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(el.session!.previews.length).to.equal(0);
    expect(el.shadowRoot!.querySelectorAll('[role="tab"]').length, 'only the terminal tab').to.equal(1);
    // Cancel closes the question.
    el.shadowRoot!.querySelector<HTMLButtonElement>('.strip button[type="button"]')!.click();
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('.strip')).to.equal(null);
  });
});
