import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TaskInfo } from '@ix-playground/sdk/protocol';
import type { ManifestTask } from '../manifest/manifest-schema.js';
import type { ExecResult } from '../sandbox/sandbox.js';
import { TaskRunner } from './task-runner.js';

function task(id: string, extra: Partial<ManifestTask> = {}): ManifestTask {
  return { id, title: `Task ${id}`, needs: [], check: `check ${id}`, timeout: 1000, ...extra };
}

/** A fake sandbox: each script answers from a table ("the learner's machine"); unknown scripts exit 1. */
function fakeExec(table: Map<string, Partial<ExecResult> | 'hang' | 'throw'>, calls: string[] = []) {
  return async (script: string): Promise<ExecResult> => {
    calls.push(script);
    const answer = table.get(script) ?? { code: 1 };
    if (answer === 'hang') return new Promise<ExecResult>(() => undefined);
    if (answer === 'throw') throw new Error('the sandbox is gone');
    await Promise.resolve();
    return { code: 1, output: '', timedOut: false, durationMs: 3, ...answer };
  };
}

/** Fails the test instead of hanging it when `promise` does not settle within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const states = (runner: TaskRunner) => Object.fromEntries(runner.tasks.map((t) => [t.id, t.state]));

describe('task states', () => {
  test('a check run on demand shows the task running first; passes on Enter and on the timer do not', async () => {
    const table = new Map<string, Partial<ExecResult>>([['check b', { code: 0 }]]);
    const calls: string[] = [];
    const runner = new TaskRunner([task('a'), task('b')], { exec: fakeExec(table, calls), intervalMs: 0, debounceMs: 1 });
    const seen: string[] = [];
    runner.on('task', (t) => seen.push(`${t.id}:${t.state}`));
    try {
      await within(runner.run({ announce: true }), 2000, 'on-demand pass');
      assert.deepEqual(seen, ['a:running', 'a:pending', 'b:running', 'b:done']);

      seen.length = 0;
      calls.length = 0;
      runner.trigger(); // as on Enter
      const deadline = Date.now() + 2000;
      while (calls.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      await within(runner.run(), 2000, 'quiet pass');
      assert.deepEqual(calls, ['check a', 'check a'], 'the triggered pass ran, then the quiet run()');
      assert.deepEqual(seen, [], 'quiet passes over unchanged results emit nothing, not even running');
      assert.deepEqual(states(runner), { a: 'pending', b: 'done' });
    } finally {
      runner.dispose();
    }
  });

  test("a fail check that exits 0 marks the task failed with the author's message; fixing it makes it done", async () => {
    const table = new Map<string, Partial<ExecResult>>([
      ['check a', { code: 1, output: 'not yet' }],
      ['rm -rf happened', { code: 0 }],
    ]);
    const calls: string[] = [];
    const runner = new TaskRunner(
      [task('a', { fail: { check: 'rm -rf happened', message: 'You deleted the wrong folder: run `restore`.' } }), task('b', { needs: ['a'] })],
      {
        exec: fakeExec(table, calls),
        intervalMs: 0,
      },
    );
    try {
      await within(runner.run(), 2000, 'pass');
      const [a] = runner.tasks;
      assert.equal(a?.state, 'failed');
      assert.equal(a?.message, 'You deleted the wrong folder: run `restore`.');
      assert.equal(a?.exitCode, 1, 'the exit code is the check’s, not the fail check’s');
      assert.equal(a?.durationMs, 6, 'the duration covers both scripts');
      assert.equal(states(runner).b, 'blocked', 'a failed task does not unblock what needs it');

      // The learner repairs the damage: not wrong any more, not done yet.
      table.set('rm -rf happened', { code: 1 });
      await within(runner.run(), 2000, 'pass');
      assert.equal(runner.tasks[0]?.state, 'pending');
      assert.equal(runner.tasks[0]?.message, 'not yet');

      // And then does it right: the check passes and the fail check is not even run.
      table.set('check a', { code: 0, output: 'Well done!' });
      calls.length = 0;
      await within(runner.run(), 2000, 'pass');
      assert.deepEqual(states(runner), { a: 'done', b: 'pending' });
      assert.equal(runner.tasks[0]?.message, 'Well done!');
      assert.deepEqual(calls, ['check a', 'check b']);
    } finally {
      runner.dispose();
    }
  });

  test('a check whose sandbox never answers is given up on after its timeout and the others still run', { timeout: 10_000 }, async () => {
    const table = new Map<string, Partial<ExecResult> | 'hang'>([
      ['check stuck', 'hang'],
      ['check fine', { code: 0 }],
    ]);
    const runner = new TaskRunner([task('stuck', { timeout: 50 }), task('fine')], { exec: fakeExec(table), intervalMs: 0 });
    try {
      const started = Date.now();
      await within(runner.run(), 5000, 'a pass with a hung sandbox');
      assert.ok(Date.now() - started < 4000, 'the runner waited far longer than the timeout');
      assert.deepEqual(states(runner), { stuck: 'pending', fine: 'done' });
      assert.match(runner.tasks[0]?.message ?? '', /did not finish within 0\.05s and was stopped/);
      assert.equal(runner.tasks[0]?.exitCode, null);
    } finally {
      runner.dispose();
    }
  });

  test('a check that cannot run at all (the sandbox throws) is reported and does not stop the pass', async () => {
    const table = new Map<string, Partial<ExecResult> | 'throw'>([
      ['check broken', 'throw'],
      ['check fine', { code: 0 }],
    ]);
    const runner = new TaskRunner([task('broken'), task('fine')], { exec: fakeExec(table), intervalMs: 0 });
    try {
      await within(runner.run(), 2000, 'pass');
      assert.deepEqual(states(runner), { broken: 'pending', fine: 'done' });
      assert.match(runner.tasks[0]?.message ?? '', /could not run: the sandbox is gone/);
    } finally {
      runner.dispose();
    }
  });

  test('complete is emitted once when the last task is done, and again after a reload adds a task that gets done', async () => {
    const table = new Map<string, Partial<ExecResult>>([['check a', { code: 0 }]]);
    const runner = new TaskRunner([task('a')], { exec: fakeExec(table), intervalMs: 0 });
    const completions: { done: number; total: number }[] = [];
    runner.on('complete', (p) => completions.push(p));
    try {
      await within(runner.run(), 2000, 'pass');
      await within(runner.run(), 2000, 'pass');
      assert.deepEqual(completions, [{ done: 1, total: 1 }]);

      runner.replaceTasks([task('a'), task('z')]);
      await within(runner.run(), 2000, 'pass');
      assert.deepEqual(runner.progress, { done: 1, total: 2 });
      table.set('check z', { code: 0 });
      await within(runner.run(), 2000, 'pass');
      assert.deepEqual(completions, [
        { done: 1, total: 1 },
        { done: 2, total: 2 },
      ]);
    } finally {
      runner.dispose();
    }
  });

  test('a reload keeps done tasks that still exist, drops removed ones, adds new ones, and re-checks', async () => {
    const table = new Map<string, Partial<ExecResult>>([
      ['check a', { code: 0 }],
      ['check gone', { code: 0 }],
      ['check b', { code: 1, output: 'b not yet' }],
    ]);
    const calls: string[] = [];
    const runner = new TaskRunner([task('a'), task('gone'), task('b', { needs: ['a'] })], { exec: fakeExec(table, calls), intervalMs: 0 });
    const lists: TaskInfo[][] = [];
    runner.on('tasks', (tasks) => lists.push(tasks));
    try {
      await within(runner.run(), 2000, 'pass');
      assert.deepEqual(states(runner), { a: 'done', gone: 'done', b: 'pending' });

      // The author renames a, drops "gone", adds c after b, and changes a's check (done latches anyway).
      table.set('check a', { code: 1 });
      calls.length = 0;
      runner.replaceTasks([task('a', { title: 'Renamed a', hint: 'new hint' }), task('b', { needs: ['a'] }), task('c', { needs: ['b'] })]);
      assert.equal(lists.length, 1, 'one tasks event per reload');
      assert.deepEqual(
        lists[0]?.map((t) => [t.id, t.title, t.state, t.message]),
        [
          ['a', 'Renamed a', 'done', undefined],
          ['b', 'Task b', 'pending', 'b not yet'],
          ['c', 'Task c', 'blocked', undefined],
        ],
      );
      assert.equal(lists[0]?.[0]?.hint, 'new hint');
      assert.deepEqual(runner.progress, { done: 1, total: 3 });

      await within(runner.run(), 2000, 'pass after reload');
      assert.ok(calls.includes('check b'), 'the reload re-checks tasks that are not done');
      assert.ok(!calls.includes('check a') && !calls.includes('check gone'));

      // A hint removed by the author is gone, not left over from the old version.
      runner.replaceTasks([task('a'), task('b', { needs: ['a'] })]);
      assert.equal(runner.tasks[0]?.hint, undefined);
    } finally {
      runner.dispose();
    }
  });

  test('a reload during a pass stops the stale pass: no result of an old check lands in the new list', async () => {
    let release: (r: ExecResult) => void = () => undefined;
    const calls: string[] = [];
    const runner = new TaskRunner([task('old')], {
      exec: (script) => {
        calls.push(script);
        if (script === 'check old') return new Promise<ExecResult>((r) => (release = r));
        return Promise.resolve({ code: 1, output: '', timedOut: false, durationMs: 1 });
      },
      intervalMs: 0,
    });
    try {
      const pass = runner.run();
      runner.replaceTasks([task('new')]);
      release({ code: 0, output: '', timedOut: false, durationMs: 1 });
      await within(pass, 2000, 'pass');
      assert.deepEqual(states(runner), { new: 'pending' });
      assert.deepEqual(calls, ['check old', 'check new']);
    } finally {
      runner.dispose();
    }
  });
});
