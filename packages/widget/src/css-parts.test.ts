import { expect } from '@esm-bundle/chai';
import type { TaskInfo } from '@ix-playground/sdk';
import './define.js';
import type { IxPlayground } from './playground.js';
import { mount, playgroundServerUrl, playgroundWithSession, scriptedSession, uniqueId, unmountAll, until } from '../test/helpers.js';

// Pages style the elements through ::part(), and editors and docs sites learn the part names from
// custom-elements.json (the @csspart tags). These tests drive each element through what it can
// show, record every part that appears in its shadow root, and compare with the manifest.

let serverUrl = '';

before(async () => {
  serverUrl = await playgroundServerUrl();
});

after(() => {
  // Other test files on this page must not be offered what this one saved.
  for (const key of Object.keys(localStorage)) if (key.startsWith('ix-playground:v1:saved:')) localStorage.removeItem(key);
});

afterEach(() => unmountAll());

/** The parts custom-elements.json documents for `tag` (the build writes it; `npm test` builds first). */
async function documented(tag: string): Promise<string[]> {
  const response = await fetch('/packages/widget/dist/custom-elements.json');
  expect(response.ok, 'packages/widget/dist/custom-elements.json (run npm run build)').to.equal(true);
  const manifest = (await response.json()) as { modules: { declarations?: { tagName?: string; cssParts?: { name: string }[] }[] }[] };
  const element = manifest.modules.flatMap((m) => m.declarations ?? []).find((d) => d.tagName === tag);
  return (element?.cssParts ?? []).map((p) => p.name).sort();
}

/** Records every part that appears in `el`'s shadow root from now on, however briefly. */
function recordParts(el: HTMLElement): Set<string> {
  const seen = new Set<string>();
  const root = el.shadowRoot!;
  const scan = () => {
    for (const node of root.querySelectorAll('[part]')) for (const name of node.getAttribute('part')!.split(/\s+/)) if (name) seen.add(name);
  };
  new MutationObserver(scan).observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['part'] });
  scan();
  return seen;
}

/** Fails naming what is rendered but not documented, and what is documented but never rendered. */
async function expectDocumented(tag: string, rendered: Set<string>): Promise<void> {
  const docs = await documented(tag);
  const undocumented = [...rendered].filter((p) => !docs.includes(p)).sort();
  const unseen = docs.filter((p) => !rendered.has(p));
  expect({ undocumented, unseen }, `<${tag}>: add an @csspart for each undocumented part; render or drop each unseen one`).to.deep.equal({
    undocumented: [],
    unseen: [],
  });
}

const part = (el: HTMLElement, name: string) => el.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`);

describe('CSS parts', () => {
  it('<ix-playground> documents every part it renders: placeholder, toolbar, strip, preview, save and resume', async () => {
    const el = mount('ix-playground', { id: uniqueId('parts'), server: serverUrl, playground: 'hello', connect: 'click' });
    const rendered = recordParts(el as IxPlayground);
    await el.updateComplete;

    part(el, 'overlay-button')!.click(); // Start terminal
    await until(() => el.status === 'ready', 'the session', 20_000);
    await until(() => !!part(el, 'preview-button') && !!part(el, 'save-button'), 'the preview and save buttons');

    part(el, 'preview-button')!.click();
    await until(() => !!el.shadowRoot!.querySelector('.strip input'), 'the port question');
    el.shadowRoot!.querySelector<HTMLInputElement>('.strip input')!.value = '8000';
    el.shadowRoot!.querySelector<HTMLFormElement>('form.strip')!.requestSubmit();
    await until(() => !!part(el, 'preview-open'), 'the preview');

    part(el, 'save-button')!.click();
    await until(() => !!part(el, 'save-confirm'), 'the question whether to save and stop');
    part(el, 'save-confirm')!.click(); // shows the "Saving your files…" notice
    await until(() => el.status === 'ended', 'the playground to stop', 20_000);

    part(el, 'overlay-button')!.click(); // Start a new session: the offer to resume the save
    await until(() => !!part(el, 'fresh-button'), 'the offer to resume');
    part(el, 'fresh-button')!.click();
    await until(() => el.status === 'ready', 'a fresh session', 20_000);

    await expectDocumented('ix-playground', rendered);
  });

  it('<ix-tasks> documents every part it renders, of tasks in every state, hints, check output and notices', async () => {
    const id = uniqueId('parts');
    const task = (state: TaskInfo['state'], extra: Partial<TaskInfo> = {}): TaskInfo => ({ id: state, title: `A ${state} task`, needs: [], state, ...extra });
    const { session, send } = scriptedSession([
      task('done', { hint: 'Use `touch`.' }),
      task('pending'),
      task('running'),
      task('failed', { message: 'hello.txt: No such file or directory' }),
      task('blocked', { needs: ['failed'] }),
    ]);
    await session.open();
    const list = mount('ix-tasks', { for: id });
    const rendered = recordParts(list);
    playgroundWithSession(id, session);
    await until(() => list.shadowRoot!.querySelectorAll('li.task').length === 5, 'the tasks');
    send({ type: 'notice', level: 'warning', message: 'Reloaded hello.yaml.' });
    await until(() => !!part(list, 'notices'), 'the notice');
    part(list, 'hint-button')!.click();
    await list.updateComplete;

    await expectDocumented('ix-tasks', rendered);
  });

  it('<ix-run> documents every part it renders', async () => {
    const snippet = mount('ix-run', {}, 'ls -l');
    const rendered = recordParts(snippet);
    await snippet.updateComplete;

    await expectDocumented('ix-run', rendered);
  });
});
