import { expect } from '@esm-bundle/chai';
import { PlaygroundError } from '@ix-playground/sdk';
import './define.js';
import { enableParentBridge, type BridgeMessage, type ParentBridge } from './bridge.js';
import { IxProgressEvent, IxTaskEvent } from './events.js';
import { mount, playgroundServerUrl, uniqueId, unmountAll, until } from '../test/helpers.js';

const ALLOWED = 'https://course.example.com';
let bridge: ParentBridge | undefined;

afterEach(() => {
  bridge?.dispose();
  bridge = undefined;
  unmountAll();
});

/** A bridge posting into an array instead of a real parent window. */
function fakeParent(options: { events?: ('ix-progress' | 'ix-task')[] } = {}) {
  const posted: { message: BridgeMessage; origin: string }[] = [];
  bridge = enableParentBridge({
    parentOrigin: ALLOWED,
    target: { postMessage: (message, origin) => posted.push({ message: message as BridgeMessage, origin }) },
    ...options,
  });
  return posted;
}

/** A real (never started) `<ix-playground>` whose run() only records. */
function recordingPlayground(): { id: string; runs: string[] } {
  const id = uniqueId('lab');
  const pg = mount('ix-playground', { id, connect: 'click' });
  const runs: string[] = [];
  pg.run = (command: string) => void runs.push(command);
  return { id, runs };
}

const message = (origin: string, data: unknown) => window.dispatchEvent(new MessageEvent('message', { origin, data }));

describe('enableParentBridge', () => {
  it('accepts only an exact origin to trust', () => {
    for (const bad of ['*', '', 'null', 'course.example.com', 'https://course.example.com/lesson', 'javascript:alert(1)']) {
      expect(() => enableParentBridge({ parentOrigin: bad }), bad).to.throw(PlaygroundError, /exact origin/);
    }
    enableParentBridge({ parentOrigin: 'https://course.example.com/' }).dispose();
  });

  it('posts ix-* events, with the element id, to the allowlisted origin only', () => {
    const posted = fakeParent();
    const el = mount('div', { id: 'lab' });
    el.dispatchEvent(new IxProgressEvent({ done: 1, total: 3 }));
    el.dispatchEvent(new IxTaskEvent({ id: 'make-file', title: 'Make a file', state: 'done' }));
    el.dispatchEvent(new Event('click', { bubbles: true }));
    expect(posted).to.deep.equal([
      { origin: ALLOWED, message: { source: 'ix-playground', type: 'ix-progress', id: 'lab', detail: { done: 1, total: 3 } } },
      { origin: ALLOWED, message: { source: 'ix-playground', type: 'ix-task', id: 'lab', detail: { id: 'make-file', title: 'Make a file', state: 'done' } } },
    ]);
  });

  it('forwards only the events it was asked to', () => {
    const posted = fakeParent({ events: ['ix-task'] });
    document.body.dispatchEvent(new IxProgressEvent({ done: 1, total: 3 }));
    expect(posted).to.deep.equal([]);
  });

  it('runs commands sent from the allowlisted origin and ignores every other message', () => {
    fakeParent();
    const { id, runs } = recordingPlayground();
    const other = mount('div', { id: uniqueId('div') });
    message('https://evil.example', { type: 'run', id, command: 'rm -rf ~' });
    message('https://course.example.com.evil.example', { type: 'run', id, command: 'rm -rf ~' });
    message('http://course.example.com', { type: 'run', id, command: 'rm -rf ~' });
    message(ALLOWED, { type: 'run', id: other.id, command: 'not a playground' });
    message(ALLOWED, { type: 'run', id, command: 42 });
    message(ALLOWED, { type: 'run', id, command: 'x'.repeat(5000) });
    message(ALLOWED, 'run ls');
    message(ALLOWED, { type: 'run', id, command: 'ls -l' });
    expect(runs).to.deep.equal(['ls -l']);
  });

  it('stops posting and listening once disposed', () => {
    const posted = fakeParent();
    const { id, runs } = recordingPlayground();
    bridge!.dispose();
    document.body.dispatchEvent(new IxProgressEvent({ done: 1, total: 3 }));
    message(ALLOWED, { type: 'run', id, command: 'ls' });
    expect(posted).to.deep.equal([]);
    expect(runs).to.deep.equal([]);
  });

  describe('in a real iframe of another origin', () => {
    const frameOrigin = `${location.protocol}//${location.hostname === 'localhost' ? '127.0.0.1' : 'localhost'}:${location.port}`;
    let frame: HTMLIFrameElement | undefined;
    let received: { origin: string; data: { source?: string; fixture?: string; type?: string; id?: string; detail?: Record<string, unknown> } }[] = [];
    const listen = (e: MessageEvent) => {
      if (frame && e.source === frame.contentWindow) received.push({ origin: e.origin, data: e.data });
    };

    beforeEach(() => {
      received = [];
      window.addEventListener('message', listen);
    });
    afterEach(() => {
      window.removeEventListener('message', listen);
      frame?.remove();
      frame = undefined;
    });

    async function openFrame(params: Record<string, string>): Promise<Window> {
      frame = document.createElement('iframe');
      frame.src = `${frameOrigin}/packages/widget/test/bridge-frame.html?${new URLSearchParams(params)}`;
      document.body.append(frame);
      await until(() => received.some((m) => m.data?.fixture === 'loaded'), 'the frame to load', 15_000);
      return frame.contentWindow!;
    }
    const bridged = () => received.filter((m) => m.data?.source === 'ix-playground');
    const fixture = (name: string) => received.some((m) => m.data?.fixture === name);

    it('lets the allowlisted parent follow progress and run commands, and ignores the frame’s own origin', async function () {
      this.timeout(45_000);
      const win = await openFrame({ parent: location.origin, server: await playgroundServerUrl(), playground: 'widget-bridge' });
      await until(() => bridged().some((m) => m.data.type === 'ix-status' && m.data.detail?.status === 'ready'), 'ix-status ready from the frame', 15_000);

      // A run request from the frame's own origin (not the allowlisted one) must not reach the shell.
      win.postMessage({ fixture: 'self-post', payload: { type: 'run', id: 'lab', command: 'touch ~/foreign' } }, frameOrigin);
      await until(() => fixture('flushed'), 'the foreign message to be handled');
      win.postMessage({ type: 'run', id: 'lab', command: 'touch ~/allowed' }, frameOrigin);

      await until(() => bridged().some((m) => m.data.type === 'ix-complete'), 'ix-complete from the frame', 20_000);
      const task = bridged().find((m) => m.data.type === 'ix-task' && m.data.detail?.state === 'done')!;
      expect(task.data).to.deep.include({ id: 'lab' });
      expect(task.data.detail).to.deep.include({ id: 'allowed', state: 'done', message: 'only the allowed command ran' });
      expect(bridged().find((m) => m.data.type === 'ix-complete')!.data.detail).to.deep.equal({ total: 1 });
      expect(bridged().every((m) => m.origin === frameOrigin)).to.equal(true);
    });

    it('posts nothing to a parent whose origin is not the allowlisted one', async () => {
      const win = await openFrame({ parent: ALLOWED });
      win.postMessage({ fixture: 'emit-progress' }, frameOrigin);
      // The fixture posts "emitted" right after the event; had the bridge posted to us, it would have come first.
      await until(() => fixture('emitted'), 'the frame to emit');
      expect(bridged()).to.deep.equal([]);
    });
  });
});
