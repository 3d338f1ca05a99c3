import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TaskInfo } from '@ix-playground/sdk/protocol';
import type { ManifestTask } from '../manifest/manifest-schema.js';
import type { ExecResult } from '../sandbox/sandbox.js';
import { TaskRunner } from './task-runner.js';

function task(id: string, needs: string[] = [], timeout = 1000): ManifestTask {
  return { id, title: `Task ${id}`, needs, check: `check ${id}`, timeout };
}

/** What a fake check answers: an exit code and output, or a function of the timeout. */
type Answer = { code: number | null; output?: string; timedOut?: boolean; delayMs?: number };

/**
 * A stand-in for the sandbox's exec: records which checks ran, how many ran at once, and answers
 * from a table the test changes as the "learner" makes progress. Unknown checks fail.
 */
class FakeSandbox {
  calls: string[] = [];
  answers = new Map<string, Answer>();
  inFlight = 0;
  maxInFlight = 0;

  set(id: string, answer: Answer): void {
    this.answers.set(`check ${id}`, answer);
  }

  exec = async (script: string, _timeoutMs: number): Promise<ExecResult> => {
    this.calls.push(script.replace(/^check /, ''));
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const answer = this.answers.get(script) ?? { code: 1 };
      if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
      else await Promise.resolve();
      return { code: answer.code, output: answer.output ?? '', timedOut: answer.timedOut ?? false, durationMs: answer.delayMs ?? 1 };
    } finally {
      this.inFlight--;
    }
  };
}

/** Rejects if `promise` takes longer than `ms`, so a scheduling bug fails the test instead of hanging it. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const states = (runner: TaskRunner) => Object.fromEntries(runner.tasks.map((t) => [t.id, t.state]));

/** Lets pending promise callbacks run (not mocked by mock.timers, which mocks only the APIs asked for). */
const flush = () => new Promise<void>((r) => setImmediate(r));

describe('task runner', () => {
  test('a task with needs starts blocked and is not checked until its needs are done', async () => {
    const sandbox = new FakeSandbox();
    const runner = new TaskRunner([task('a'), task('b', ['a'])], { exec: sandbox.exec, intervalMs: 0 });
    try {
      assert.deepEqual(states(runner), { a: 'pending', b: 'blocked' });

      await within(runner.run(), 2000, 'a check pass');
      assert.deepEqual(sandbox.calls, ['a'], 'b must not be checked while a is not done');
      assert.deepEqual(states(runner), { a: 'pending', b: 'blocked' });

      sandbox.calls = [];
      sandbox.set('a', { code: 0 });
      await within(runner.run(), 2000, 'a check pass');
      assert.deepEqual(sandbox.calls, ['a', 'b'], 'each task is checked once per pass');
      assert.deepEqual(states(runner), { a: 'done', b: 'pending' });
    } finally {
      runner.dispose();
    }
  });

  test('a done task stays done and is not checked again, even if its check would now fail', async () => {
    const sandbox = new FakeSandbox();
    sandbox.set('a', { code: 0 });
    const runner = new TaskRunner([task('a'), task('b')], { exec: sandbox.exec, intervalMs: 0 });
    try {
      await within(runner.run(), 2000, 'a check pass');
      assert.equal(states(runner).a, 'done');

      sandbox.set('a', { code: 1, output: 'the file is gone' });
      sandbox.calls = [];
      await within(runner.run(), 2000, 'a check pass');
      assert.deepEqual(sandbox.calls, ['b']);
      assert.equal(states(runner).a, 'done');
      assert.deepEqual(runner.progress, { done: 1, total: 2 });
    } finally {
      runner.dispose();
    }
  });

  test('tasks unblocked during a pass are checked in the same pass, even when listed before their needs', async () => {
    const sandbox = new FakeSandbox();
    for (const id of ['a', 'b', 'c']) sandbox.set(id, { code: 0 });
    // c needs b needs a, listed in the opposite order.
    const runner = new TaskRunner([task('c', ['b']), task('b', ['a']), task('a')], { exec: sandbox.exec, intervalMs: 0 });
    try {
      await within(runner.run(), 2000, 'one check pass');
      assert.deepEqual(sandbox.calls, ['a', 'b', 'c']);
      assert.deepEqual(states(runner), { c: 'done', b: 'done', a: 'done' });
      assert.deepEqual(runner.progress, { done: 3, total: 3 });
    } finally {
      runner.dispose();
    }
  });

  test('a burst of triggers (Enter presses) runs one check pass after the quiet period', { timeout: 5000 }, async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const sandbox = new FakeSandbox();
    const runner = new TaskRunner([task('a')], { exec: sandbox.exec, intervalMs: 0, debounceMs: 300 });
    try {
      runner.trigger();
      t.mock.timers.tick(200);
      runner.trigger();
      t.mock.timers.tick(200);
      runner.trigger();
      runner.trigger();
      t.mock.timers.tick(299);
      assert.deepEqual(sandbox.calls, [], 'no check may run while triggers keep coming');
      t.mock.timers.tick(1);
      assert.deepEqual(sandbox.calls, ['a'], 'one pass starts 300 ms after the last trigger');
      await flush();
      t.mock.timers.tick(10_000);
      await flush();
      assert.deepEqual(sandbox.calls, ['a'], 'four triggers must give one pass, not four');
    } finally {
      runner.dispose();
    }
  });

  test('a check that times out reports pending with a message saying it was stopped, and the others still run', async () => {
    const sandbox = new FakeSandbox();
    sandbox.set('slow', { code: null, timedOut: true, delayMs: 100 });
    sandbox.set('fast', { code: 0 });
    const runner = new TaskRunner([task('slow', [], 100), task('after-slow', ['slow']), task('fast')], { exec: sandbox.exec, intervalMs: 0 });
    try {
      await within(runner.run(), 2000, 'a pass with a hanging check');
      const slow = runner.tasks.find((t) => t.id === 'slow');
      assert.equal(slow?.state, 'pending');
      assert.match(slow?.message ?? '', /did not finish within 0\.1s and was stopped/);
      assert.equal(slow?.exitCode, null);
      assert.deepEqual(states(runner), { slow: 'pending', 'after-slow': 'blocked', fast: 'done' });
      assert.deepEqual(sandbox.calls, ['slow', 'fast'], 'the hanging check runs once per pass, not again after fast is done');
    } finally {
      runner.dispose();
    }
  });

  test('only one check runs at a time, and run() during a pass queues exactly one more pass', async () => {
    const sandbox = new FakeSandbox();
    for (const id of ['a', 'b', 'c']) sandbox.set(id, { code: 1, delayMs: 5 });
    const runner = new TaskRunner([task('a'), task('b'), task('c')], { exec: sandbox.exec, intervalMs: 0 });
    try {
      const runs = [runner.run(), runner.run(), runner.run()];
      await within(Promise.all(runs), 2000, 'concurrent run() calls');
      assert.equal(sandbox.maxInFlight, 1);
      assert.equal(sandbox.inFlight, 0, 'run() resolves only once the checks are idle');
      assert.deepEqual(sandbox.calls, ['a', 'b', 'c', 'a', 'b', 'c']);
    } finally {
      runner.dispose();
    }
  });

  test('a task event is emitted when a state or message changes, and only then', async () => {
    const sandbox = new FakeSandbox();
    const runner = new TaskRunner([task('a'), task('b', ['a'])], { exec: sandbox.exec, intervalMs: 0 });
    const events: Pick<TaskInfo, 'id' | 'state' | 'message'>[] = [];
    runner.on('task', ({ id, state, message }) => events.push({ id, state, message }));
    try {
      await within(runner.run(), 2000, 'a check pass');
      assert.deepEqual(events, [], 'a silent failing check leaves a pending and b blocked: nothing changed');

      sandbox.set('a', { code: 1, output: 'no file yet\n' });
      await within(runner.run(), 2000, 'a check pass');
      assert.deepEqual(events, [{ id: 'a', state: 'pending', message: 'no file yet' }]);

      await within(runner.run(), 2000, 'a check pass');
      assert.equal(events.length, 1, 'the same result again is not news');

      sandbox.set('a', { code: 0 });
      await within(runner.run(), 2000, 'a check pass');
      assert.deepEqual(events.slice(1), [
        { id: 'a', state: 'done', message: undefined },
        { id: 'b', state: 'pending', message: undefined },
      ]);

      await within(runner.run(), 2000, 'a check pass');
      assert.equal(events.length, 3);
    } finally {
      runner.dispose();
    }
  });

  test("a failing check's first five output lines, exit code and duration reach the task", async () => {
    const sandbox = new FakeSandbox();
    sandbox.set('a', { code: 2, output: 'one\n\n  two  \nthree\r\nfour\nfive\nsix\n' });
    const runner = new TaskRunner([task('a')], { exec: sandbox.exec, intervalMs: 0 });
    try {
      await within(runner.run(), 2000, 'a check pass');
      const [a] = runner.tasks;
      assert.equal(a?.message, 'one\n  two\nthree\nfour\nfive');
      assert.equal(a?.exitCode, 2);
      assert.equal(typeof a?.durationMs, 'number');
    } finally {
      runner.dispose();
    }
  });

  test('a session nobody types into runs no checks on the timer', { timeout: 5000 }, async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const sandbox = new FakeSandbox();
    const runner = new TaskRunner([task('a')], { exec: sandbox.exec, intervalMs: 5000 });
    try {
      t.mock.timers.tick(3_600_000);
      await flush();
      assert.deepEqual(sandbox.calls, []);
    } finally {
      runner.dispose();
    }
  });

  test('after the learner types, the slow timer checks at the interval, backs off while nothing changes, then stops', { timeout: 5000 }, async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const sandbox = new FakeSandbox();
    const runner = new TaskRunner([task('a')], { exec: sandbox.exec, intervalMs: 5000 });
    /** Advances the clock by `ms` and lets the pass it started finish; answers how many checks ran. */
    const after = async (ms: number) => {
      t.mock.timers.tick(ms);
      await flush();
      return sandbox.calls.length;
    };
    try {
      runner.activity();
      assert.equal(await after(4999), 0);
      assert.equal(await after(1), 1, 'the first pass comes one interval after the activity');
      assert.equal(await after(9999), 1);
      assert.equal(await after(1), 2, 'nothing changed: the next delay is twice as long');
      assert.equal(await after(20_000), 3);
      assert.equal(await after(40_000), 4);
      assert.equal(await after(80_000), 5, 'up to 16 times the interval');
      assert.equal(await after(3_600_000), 5, 'then the timer stops');
      runner.activity();
      assert.equal(await after(5000), 6, 'activity starts it again at the interval');
    } finally {
      runner.dispose();
    }
  });

  test('a change made without pressing Enter is picked up by the slow timer while the learner keeps typing', { timeout: 5000 }, async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const sandbox = new FakeSandbox();
    const runner = new TaskRunner([task('a')], { exec: sandbox.exec, intervalMs: 5000 });
    try {
      runner.activity();
      t.mock.timers.tick(5000);
      await flush();
      runner.activity(); // typing, no Enter
      t.mock.timers.tick(5000);
      await flush();
      assert.deepEqual(sandbox.calls, ['a', 'a'], 'activity keeps the timer at its shortest delay');
      sandbox.set('a', { code: 0 });
      runner.activity();
      t.mock.timers.tick(5000);
      await flush();
      assert.deepEqual(states(runner), { a: 'done' });
      t.mock.timers.tick(3_600_000);
      await flush();
      assert.equal(sandbox.calls.length, 3, 'with every task done the timer stops');
    } finally {
      runner.dispose();
    }
  });

  test('after dispose no check starts and a check under way reports nothing', { timeout: 5000 }, async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const sandbox = new FakeSandbox();
    sandbox.set('a', { code: 0, delayMs: 20 });
    const runner = new TaskRunner([task('a'), task('b')], { exec: sandbox.exec, intervalMs: 0, debounceMs: 1 });
    const events: TaskInfo[] = [];
    runner.on('task', (info) => events.push(info));
    const pass = runner.run();
    assert.deepEqual(sandbox.calls, ['a']);
    runner.dispose();
    t.mock.timers.tick(20); // the check under way finishes, successfully
    await pass;
    assert.deepEqual(events, []);
    assert.deepEqual(sandbox.calls, ['a'], 'b must not be checked after dispose');
    await runner.run();
    runner.trigger();
    t.mock.timers.tick(1000);
    await flush();
    assert.deepEqual(sandbox.calls, ['a']);
    assert.deepEqual(states(runner), { a: 'pending', b: 'pending' });
  });
});
