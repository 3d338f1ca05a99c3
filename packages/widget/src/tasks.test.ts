import { expect } from '@esm-bundle/chai';
import type { TaskInfo } from '@ix-playground/sdk';
import './define.js';
import { IxStatusEvent, type CompleteDetail, type ProgressDetail, type TaskDetail } from './events.js';
import type { IxPlayground } from './playground.js';
import type { IxTasks } from './tasks.js';
import { mount, playgroundServerUrl, playgroundWithSession, scriptedSession, uniqueId, unmountAll, until } from '../test/helpers.js';

let serverUrl = '';

before(async () => {
  serverUrl = await playgroundServerUrl();
});

afterEach(() => {
  unmountAll();
  delete (window as { __pwned?: unknown }).__pwned;
});

const shadow = (el: IxTasks) => el.shadowRoot!;
const taskEl = (el: IxTasks, id: string) => shadow(el).querySelector<HTMLElement>(`[data-task="${id}"]`);
const stateOf = (el: IxTasks, id: string) => taskEl(el, id)?.dataset.state;
const text = (el: IxTasks) => shadow(el).textContent?.replace(/\s+/g, ' ') ?? '';

/** A playground element and its checklist, on a real server. */
function lab(playground: string, { tasksFirst = false } = {}): { pg: IxPlayground; list: IxTasks } {
  const id = uniqueId('lab');
  if (tasksFirst) {
    const list = mount('ix-tasks', { for: id });
    return { list, pg: mount('ix-playground', { id, server: serverUrl, playground, connect: 'eager' }) };
  }
  const pg = mount('ix-playground', { id, server: serverUrl, playground, connect: 'eager' });
  return { pg, list: mount('ix-tasks', { for: id }) };
}

const task = (id: string, state: TaskInfo['state'], extra: Partial<TaskInfo> = {}): TaskInfo => ({ id, title: `Task ${id}`, needs: [], state, ...extra });

describe('<ix-tasks>', () => {
  it('says what is wrong when for is missing or names no playground', async () => {
    const none = mount('ix-tasks');
    const missing = mount('ix-tasks', { for: 'no-such-lab' });
    const div = mount('div', { id: uniqueId('not-a-playground') });
    const wrong = mount('ix-tasks', { for: div.id });
    await Promise.all([none.updateComplete, missing.updateComplete, wrong.updateComplete]);
    expect(text(none)).to.contain('Set the for attribute of <ix-tasks> to the id of an <ix-playground>');
    expect(text(missing)).to.contain('There is no <ix-playground id="no-such-lab"> on this page.');
    expect(text(wrong)).to.contain('is a <div>, not an <ix-playground>');
    expect(shadow(missing).querySelector('[role="alert"]') !== null).to.equal(true);
  });

  it('finds a playground added after it and shows its tasks once the terminal is ready', async () => {
    const { list, pg } = lab('permissions', { tasksFirst: true });
    await until(() => pg.status === 'ready', 'ready', 15_000);
    await until(() => shadow(list).querySelectorAll('li.task').length === 4, 'four tasks');
    expect(shadow(list).querySelector('.problem')?.textContent).to.equal(undefined);
    expect([...shadow(list).querySelectorAll('.task-title')].map((e) => e.textContent)).to.deep.equal([
      'Create the file project/notes.txt',
      'Make project/run.sh executable',
      'Make notes.txt readable and writable only by you',
      'Run the script',
    ]);
    expect(shadow(list).querySelector('.title')!.textContent).to.equal('Files and permissions');
  });

  it('announces to screen readers each task the learner gets done, politely', async () => {
    const { pg, list } = lab('hello');
    await until(() => shadow(list).querySelectorAll('li.task').length === 1, 'the task', 15_000);
    const announcer = shadow(list).querySelector('[part="announcer"]')!;
    expect(announcer.getAttribute('role')).to.equal('status'); // a polite live region
    expect(announcer.textContent).to.equal('');
    pg.run('touch ~/hello.txt');
    await until(() => announcer.textContent === 'Done: Create a file named hello.txt in your home folder', 'the announcement', 15_000);
    expect(shadow(list).querySelector('[part="summary"]')!.textContent).to.equal('The task is done.');
  });

  it('ticks the permissions lesson in order as the learner works in the real terminal', async function () {
    this.timeout(90_000);
    const tasks: TaskDetail[] = [];
    const progress: ProgressDetail[] = [];
    const complete: CompleteDetail[] = [];
    const onTask = (e: HTMLElementEventMap['ix-task']) => tasks.push(e.detail);
    const onProgress = (e: HTMLElementEventMap['ix-progress']) => progress.push(e.detail);
    const onComplete = (e: HTMLElementEventMap['ix-complete']) => complete.push(e.detail);
    document.addEventListener('ix-task', onTask);
    document.addEventListener('ix-progress', onProgress);
    document.addEventListener('ix-complete', onComplete);
    try {
      const { pg, list } = lab('permissions');
      const snippet = mount('ix-run', { for: pg.id }, 'touch ~/project/notes.txt');
      await until(() => shadow(list).querySelectorAll('li.task').length === 4, 'four tasks', 15_000);
      expect(['create-notes', 'make-executable', 'private-notes', 'run-script'].map((id) => stateOf(list, id))).to.deep.equal([
        'pending',
        'blocked',
        'blocked',
        'blocked',
      ]);
      expect(taskEl(list, 'make-executable')!.querySelector('.state')!.textContent).to.equal('Locked: first do “Create the file project/notes.txt”');
      expect(shadow(list).querySelector('[role="status"]')!.textContent).to.equal('0 of 4 tasks done');

      const step = async (id: string, state: string, what: string) => until(() => stateOf(list, id) === state, `${id} to be ${state} after ${what}`, 15_000);

      // The snippet's Run button types into the terminal.
      await snippet.updateComplete;
      snippet.shadowRoot!.querySelector<HTMLButtonElement>('button.run')!.click();
      await step('create-notes', 'done', 'touch');
      // Unblocked tasks are checked at once; the check's message says why one is not done yet.
      await until(() => /should be 600/.test(taskEl(list, 'private-notes')!.textContent!), 'why private-notes is not done', 15_000);
      expect(taskEl(list, 'private-notes')!.querySelector('.message')!.textContent).to.match(/^notes\.txt has mode 644 \(-rw-r--r--\)/);
      expect(shadow(list).querySelector('[role="status"]')!.textContent).to.equal('1 of 4 tasks done');

      pg.run('chmod +x ~/project/run.sh');
      await step('make-executable', 'done', 'chmod +x');
      await until(() => /has not run yet/.test(taskEl(list, 'run-script')!.textContent!), 'run-script to be checked', 15_000);
      expect(stateOf(list, 'run-script')).to.equal('pending');

      // A wrong turn: the manifest's fail check marks the task failed, with its own message.
      pg.run('chmod 000 ~/project/notes.txt');
      await step('private-notes', 'failed', 'chmod 000');
      expect(taskEl(list, 'private-notes')!.textContent).to.contain('Now not even you can read notes.txt');

      pg.run('chmod 600 ~/project/notes.txt');
      await step('private-notes', 'done', 'chmod 600');
      pg.run('~/project/run.sh');
      await step('run-script', 'done', 'running the script');

      await until(() => complete.length === 1, 'ix-complete');
      await list.updateComplete;
      expect(shadow(list).querySelector('[role="status"]')!.textContent).to.equal('All 4 tasks done.');
      const bar = shadow(list).querySelector('[role="progressbar"]')!;
      expect([bar.getAttribute('aria-valuenow'), bar.getAttribute('aria-valuemax')]).to.deep.equal(['4', '4']);
      const fill = bar.querySelector<HTMLElement>('.bar')!;
      expect(fill.style.width).to.equal('100%');

      const done = tasks.filter((t) => t.state === 'done');
      expect(done.map((t) => t.id)).to.deep.equal(['create-notes', 'make-executable', 'private-notes', 'run-script']);
      expect(done[0]).to.include({ id: 'create-notes', title: 'Create the file project/notes.txt', state: 'done' });
      const failed = tasks.find((t) => t.state === 'failed');
      expect(failed).to.include({ id: 'private-notes' });
      expect(failed!.message).to.contain('Now not even you can read notes.txt');
      const dones = progress.map((p) => p.done).filter((d, i, all) => d > 0 && d !== all[i - 1]);
      expect(dones).to.deep.equal([1, 2, 3, 4]);
      expect(progress.every((p) => p.total === 4)).to.equal(true);
      expect(complete).to.deep.equal([{ total: 4 }]);
    } finally {
      document.removeEventListener('ix-task', onTask);
      document.removeEventListener('ix-progress', onProgress);
      document.removeEventListener('ix-complete', onComplete);
    }
  });

  it('reveals a hint on request and shows hostile manifest text as text, never as markup', async function () {
    this.timeout(30_000);
    const { pg, list } = lab('widget-xss');
    await until(() => shadow(list).querySelectorAll('li.task').length === 1, 'the task', 15_000);
    // The check prints HTML; ask for a check now so its message is there without waiting for the timer.
    shadow(list).querySelector<HTMLButtonElement>('button.check')!.click();
    await until(() => !!taskEl(list, 'hostile')!.querySelector('.message'), 'the check message', 15_000);

    const button = shadow(list).querySelector<HTMLButtonElement>('.hint-button')!;
    const hint = shadow(list).querySelector<HTMLElement>('.hint')!;
    expect(button.getAttribute('aria-expanded')).to.equal('false');
    expect(hint.hidden).to.equal(true);
    expect(hint.textContent!.trim()).to.equal('');
    button.click();
    await list.updateComplete;
    expect(button.getAttribute('aria-expanded')).to.equal('true');
    expect(button.getAttribute('aria-controls')).to.equal(hint.id);
    expect(hint.hidden).to.equal(false);

    const root = shadow(list);
    expect(root.querySelectorAll('img, script, iframe, object, embed, b, i').length, 'elements from manifest text').to.equal(0);
    for (const el of root.querySelectorAll('*')) {
      for (const attr of el.getAttributeNames()) expect(attr, `attribute on <${el.localName}>`).to.not.match(/^on/);
    }
    const links = [...root.querySelectorAll('a')];
    expect(links.map((a) => a.getAttribute('href'))).to.deep.equal(['https://example.com/docs']);
    expect(links[0]!.textContent).to.equal('good');
    expect(links[0]!.rel).to.equal('noopener noreferrer');
    expect(hint.textContent).to.contain('Raw HTML: <img src=x onerror=window.__pwned=1> and <script>window.__pwned=1</script>.');
    // A link to a javascript: (or data:) URL keeps its label and loses its link.
    expect(hint.textContent).to.contain('Links: bad, also bad, [data](data:text/html,<script>alert(1)</script>) and good.');
    expect(hint.querySelector('strong')!.textContent).to.equal('bold <b>x</b>');
    expect(hint.querySelector('code')!.textContent).to.equal('code <i>y</i>');
    expect(taskEl(list, 'hostile')!.querySelector('.task-title')!.textContent).to.equal('<img src=x onerror="window.__pwned=1"> in a title');
    expect(taskEl(list, 'hostile')!.querySelector('.message')!.textContent).to.equal('<img src=x onerror=window.__pwned=1> printed by a check');
    expect(root.querySelector('.title')!.textContent).to.equal('<img src=x onerror="window.__pwned=1"> playground');
    await new Promise((r) => requestAnimationFrame(r));
    expect((window as { __pwned?: unknown }).__pwned).to.equal(undefined);

    button.click();
    await list.updateComplete;
    expect(hint.hidden).to.equal(true);
    expect(button.textContent).to.contain('Show hint');
    expect(pg.status).to.equal('ready');
  });

  it('asks the server to check now, and shows running and failed states with their messages', async () => {
    const id = uniqueId('scripted');
    const { session, send, sent } = scriptedSession([task('a', 'pending'), task('b', 'blocked', { needs: ['a'] })]);
    await session.open();
    const list = mount('ix-tasks', { for: id });
    playgroundWithSession(id, session);
    await until(() => shadow(list).querySelectorAll('li.task').length === 2, 'two tasks');

    const check = shadow(list).querySelector<HTMLButtonElement>('button.check')!;
    expect(check.disabled).to.equal(false);
    check.click();
    expect(sent.map((s) => JSON.parse(s).type)).to.include('run-checks');
    await list.updateComplete;
    expect(check.textContent!.trim()).to.equal('Checking…');
    expect(check.disabled).to.equal(true);

    send({ type: 'task', task: task('a', 'running') });
    await list.updateComplete;
    expect(stateOf(list, 'a')).to.equal('running');
    expect(taskEl(list, 'a')!.querySelector('.state')!.textContent).to.equal('Checking…');
    expect(check.textContent!.trim()).to.equal('Check now');

    send({ type: 'task', task: task('a', 'failed', { message: 'You deleted the wrong file.' }) });
    await list.updateComplete;
    expect(stateOf(list, 'a')).to.equal('failed');
    expect(taskEl(list, 'a')!.querySelector('.message')!.textContent).to.equal('You deleted the wrong file.');
    expect(taskEl(list, 'b')!.querySelector('.state')!.textContent).to.equal('Locked: first do “Task a”');
  });

  it('shows notices from the server, such as a manifest error while authoring, and replaces the list on reload', async () => {
    const id = uniqueId('scripted');
    const { session, send } = scriptedSession([task('a', 'pending')]);
    await session.open();
    const list = mount('ix-tasks', { for: id });
    playgroundWithSession(id, session);
    await until(() => shadow(list).querySelectorAll('li.task').length === 1, 'one task');

    send({ type: 'notice', level: 'error', message: 'permissions.yaml:12: tasks[1].needs: no task "nope"' });
    await list.updateComplete;
    const notice = shadow(list).querySelector('.notice.error')!;
    expect(notice.getAttribute('role')).to.equal('alert');
    expect(notice.textContent).to.contain('permissions.yaml:12: tasks[1].needs: no task "nope"');
    expect(shadow(list).querySelectorAll('li.task').length, 'the last good list stays').to.equal(1);

    send({ type: 'tasks', tasks: [task('a', 'done'), task('c', 'pending', { title: 'A new task' })] });
    send({ type: 'notice', level: 'info', message: 'Reloaded permissions.yaml.' });
    await list.updateComplete;
    expect([...shadow(list).querySelectorAll('.task-title')].map((e) => e.textContent)).to.deep.equal(['Task a', 'A new task']);
    expect(shadow(list).querySelector('[role="status"]')!.textContent).to.equal('1 of 2 tasks done');
    expect(shadow(list).querySelectorAll('.notice').length).to.equal(2);

    notice.querySelector('button')!.click();
    await list.updateComplete;
    expect([...shadow(list).querySelectorAll('.notice')].map((n) => n.querySelector('span')!.textContent)).to.deep.equal(['Reloaded permissions.yaml.']);
  });

  it('follows the playground to a new session and drops the old one', async () => {
    const id = uniqueId('scripted');
    const first = scriptedSession([task('old', 'pending')]);
    const second = scriptedSession([task('new', 'done')]);
    await Promise.all([first.session.open(), second.session.open()]);
    const list = mount('ix-tasks', { for: id });
    const pg = playgroundWithSession(id, first.session);
    await until(() => !!taskEl(list, 'old'), 'the first session’s task');

    Object.defineProperty(pg, 'session', { get: () => second.session, configurable: true });
    pg.dispatchEvent(new IxStatusEvent({ status: 'ready' }));
    await until(() => !!taskEl(list, 'new'), 'the second session’s task');
    first.send({ type: 'task', task: task('old', 'done') });
    await list.updateComplete;
    expect(taskEl(list, 'old')?.outerHTML).to.equal(undefined);

    // Replacing the element itself rebinds too.
    const replacement = playgroundWithSession(uniqueId('other'), first.session);
    pg.remove();
    replacement.id = id;
    await until(() => !!taskEl(list, 'old'), 'the replacement’s session');
  });
});
