import { expect } from '@esm-bundle/chai';
import './define.js';
import type { IxPlayground } from './playground.js';
import { bufferText, mount, playgroundServerUrl, uniqueId, unmountAll, until } from '../test/helpers.js';

let serverUrl = '';

before(async () => {
  serverUrl = await playgroundServerUrl();
});

afterEach(() => unmountAll());

const sessionCount = async () => ((await (await fetch('/__ix/sessions')).json()) as { count: number }).count;

function playground(session: string, attrs: Record<string, string> = {}): IxPlayground {
  return mount('ix-playground', { server: serverUrl, playground: 'hello', connect: 'eager', session, ...attrs });
}

/** Runs a command and waits for the line it prints (marked so it is not the echo of the command itself). */
async function ask(el: IxPlayground, command: string, answer: RegExp): Promise<string> {
  el.run(command);
  await until(() => answer.test(bufferText(el)), `${answer} in the terminal`);
  return answer.exec(bufferText(el))![1]!;
}

describe('elements with one session value', () => {
  it('share one machine, each with a shell of its own: the second sees the file the first one’s $$ made', async () => {
    const name = uniqueId('machine');
    const before = await sessionCount();
    const first = playground(name);
    const second = playground(name);
    await until(() => first.status === 'ready' && second.status === 'ready', 'both ready');
    expect(await sessionCount()).to.equal(before + 1);
    expect(first.session!.id).to.equal(second.session!.id);

    const pid = await ask(first, 'touch ~/owned-by-$$ && echo "first=""$$"', /^first=(\d+)$/m);
    const seen = await ask(second, 'ls ~ | grep owned-by- | sed "s/^/seen=/"; echo "second=""$$"', /^seen=owned-by-(\d+)$/m);
    expect(seen).to.equal(pid);
    // Not the same shell: another process on the same machine, in another terminal.
    const other = await ask(second, 'echo "me=""$$"', /^me=(\d+)$/m);
    expect(other).to.not.equal(pid);
    expect(first.terminal).to.not.equal(second.terminal);
    // Each element shows only its own terminal: neither printed the other's output.
    expect(bufferText(first)).to.not.match(/^second=/m);
    expect(bufferText(second)).to.not.match(/^first=/m);
    // One shows the manifest's terminal (whichever started first), the other a new one; one tab each.
    const tabs = (el: IxPlayground) => [...el.shadowRoot!.querySelectorAll('[role="tab"]')].map((t) => t.textContent!.trim());
    expect([...tabs(first), ...tabs(second)].sort()).to.deep.equal(['main', 'shell 2']);
  });

  it('come back to the same machine and the same terminals when the page shows them again', async () => {
    const name = uniqueId('machine');
    const a = playground(name, { id: uniqueId('a') });
    const b = playground(name, { id: uniqueId('b') });
    await until(() => a.status === 'ready' && b.status === 'ready', 'both ready');
    const pidA = await ask(a, 'echo "a=""$$"', /^a=(\d+)$/m);
    const pidB = await ask(b, 'echo "b=""$$"', /^b=(\d+)$/m);
    // Taken out and put back (as a single-page app does): each resumes its own shell.
    a.remove();
    b.remove();
    document.body.append(b, a);
    await until(() => a.status === 'ready' && b.status === 'ready', 'both ready again');
    expect(await ask(a, 'echo "again-a=""$$"', /^again-a=(\d+)$/m)).to.equal(pidA);
    expect(await ask(b, 'echo "again-b=""$$"', /^again-b=(\d+)$/m)).to.equal(pidB);
  });

  it('also share when a framework sets the session property instead of the attribute (React 19 does)', async () => {
    const name = uniqueId('machine');
    const box = mount('div');
    const [a, b] = [0, 1].map(() => {
      const el = document.createElement('ix-playground');
      Object.assign(el, { server: serverUrl, playground: 'hello', connect: 'eager' });
      (el as unknown as { session: string }).session = name;
      return box.appendChild(el);
    }) as [IxPlayground, IxPlayground];
    await until(() => a.status === 'ready' && b.status === 'ready', 'both ready');
    expect(a.sessionName).to.equal(name);
    expect(a.session!.id).to.equal(b.session!.id);
  });

  it('with different values, or none, get machines of their own', async () => {
    const before = await sessionCount();
    const one = playground(uniqueId('one'));
    const two = playground(uniqueId('two'));
    const alone = mount('ix-playground', { server: serverUrl, playground: 'hello', connect: 'eager' });
    await until(() => [one, two, alone].every((el) => el.status === 'ready'), 'all ready');
    expect(await sessionCount()).to.equal(before + 3);
    expect(new Set([one, two, alone].map((el) => el.session!.id)).size).to.equal(3);
  });
});
