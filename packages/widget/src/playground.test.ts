import { expect } from '@esm-bundle/chai';
import './define.js';
import type { IxPlayground } from './playground.js';
import type { IxErrorEvent, IxStatusEvent } from './events.js';

let serverUrl = '';

before(async () => {
  serverUrl = ((await (await fetch('/__ix/server')).json()) as { url: string }).url;
});

const mounted: HTMLElement[] = [];

afterEach(() => {
  for (const el of mounted.splice(0)) el.remove();
  sessionStorage.clear();
  window.scrollTo(0, 0);
});

async function sessionCount(): Promise<number> {
  return ((await (await fetch('/__ix/sessions')).json()) as { count: number }).count;
}

/** Resolves when `check` is true; fails after `ms`. */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function mount(attrs: Record<string, string>, { below = 0 } = {}): IxPlayground {
  if (below) {
    const spacer = document.createElement('div');
    spacer.style.height = `${below}px`;
    document.body.append(spacer);
    mounted.push(spacer);
  }
  const el = document.createElement('ix-playground');
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  document.body.append(el);
  mounted.push(el);
  return el;
}

function bufferText(el: IxPlayground): string {
  const buffer = el.terminal?.buffer.active;
  if (!buffer) return '';
  const lines: string[] = [];
  for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
  return lines.join('\n');
}

describe('<ix-playground>', () => {
  it('boots xterm and connects only once it nears the viewport', async () => {
    const before = await sessionCount();
    const el = mount({ server: serverUrl, playground: 'hello' }, { below: 4000 });
    await el.updateComplete;
    await new Promise((r) => setTimeout(r, 300));
    expect(el.status).to.equal('idle');
    expect(el.terminal).to.equal(undefined);
    expect(el.shadowRoot!.querySelector('.xterm') === null).to.equal(true);
    expect(await sessionCount()).to.equal(before);

    el.scrollIntoView();
    await until(() => el.status === 'ready', 'ready');
    expect(el.terminal).to.not.equal(undefined);
    expect(el.shadowRoot!.querySelector('.xterm') !== null).to.equal(true);
    expect(await sessionCount()).to.equal(before + 1);
  });

  it('moved in the page before it booted, it still boots when it comes into view', async () => {
    const el = mount({ server: serverUrl, playground: 'hello' }, { below: 4000 });
    await el.updateComplete;
    const box = document.createElement('section');
    document.body.prepend(box);
    mounted.push(box);
    box.append(el); // moved: disconnected and connected again, now at the top of the page
    await until(() => el.status === 'ready', 'the moved element to boot');
  });

  it('taken out while connecting and put back, it comes back to life without an error', async () => {
    const errors: string[] = [];
    const el = mount({ server: serverUrl, playground: 'hello', connect: 'eager' });
    el.addEventListener('ix-error', (e) => errors.push((e as IxErrorEvent).detail.code));
    await until(() => el.status === 'connecting', 'connecting');
    el.remove();
    await new Promise((r) => setTimeout(r, 200));
    document.body.append(el);
    await until(() => el.status === 'ready', 'the element to boot again');
    expect(errors).to.deep.equal([]);
    el.run('echo back-$((40+2))');
    await until(() => /^back-42$/m.test(bufferText(el)), 'the shell to answer');
  });

  it('renders shell output in the terminal', async () => {
    const el = mount({ server: serverUrl, playground: 'hello', connect: 'eager' });
    await until(() => el.status === 'ready', 'ready');
    el.run('echo ix-$((40+2))');
    await until(() => /^ix-42$/m.test(bufferText(el)), 'ix-42 in the buffer');
  });

  it('reflects its status as an attribute and announces each change', async () => {
    const seen: string[] = [];
    const el = mount({ server: serverUrl, playground: 'hello', connect: 'click' });
    el.addEventListener('ix-status', (e: IxStatusEvent) => seen.push(e.detail.status));
    await el.updateComplete;
    expect(el.getAttribute('status')).to.equal('idle');
    const start = el.shadowRoot!.querySelector('button');
    expect(start?.textContent).to.contain('Start');
    start!.click();
    await until(() => el.status === 'ready', 'ready');
    expect(el.getAttribute('status')).to.equal('ready');
    el.run('exit');
    await until(() => el.status === 'ended', 'ended');
    expect(el.getAttribute('status')).to.equal('ended');
    expect(seen).to.deep.equal(['connecting', 'ready', 'ended']);
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('.overlay')!.textContent).to.contain('The shell exited.');
  });

  it('opens tabs that share one machine', async () => {
    const el = mount({ server: serverUrl, playground: 'hello', connect: 'eager' });
    await until(() => el.status === 'ready', 'ready');
    const first = el.terminal;
    el.openTab();
    await until(() => el.terminal !== first && el.terminal !== undefined, 'the second tab to become active');
    await el.updateComplete;
    const tabs = el.shadowRoot!.querySelectorAll('[role="tab"]');
    expect(tabs.length).to.equal(2);
    expect(tabs[1]!.getAttribute('aria-selected')).to.equal('true');
    el.run('touch ~/made-in-tab-two');
    await until(() => /\$ touch ~\/made-in-tab-two/.test(bufferText(el)), 'the command in tab two');
    (tabs[0] as HTMLButtonElement).click();
    await until(() => el.terminal === first, 'tab one to be active again');
    el.run('ls ~/made-in-tab-two && echo same-""machine');
    await until(() => /^same-machine$/m.test(bufferText(el)), 'the file to be visible from tab one');
  });

  it('shows a clear error for a playground the server does not have', async () => {
    const errors: string[] = [];
    const el = mount({ server: serverUrl, playground: 'no-such-lab', connect: 'eager' });
    el.addEventListener('ix-error', (e: IxErrorEvent) => errors.push(e.detail.code));
    await until(() => el.status === 'error', 'error');
    expect(errors).to.deep.equal(['playground-not-found']);
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('.overlay')!.textContent).to.contain('no playground named "no-such-lab"');
  });

  it('refuses to start without a playground attribute', async () => {
    const el = mount({ server: serverUrl, connect: 'eager' });
    await until(() => el.status === 'error', 'error');
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('.overlay')!.textContent).to.contain('set the playground attribute');
  });
});
