import { createNanoEvents } from 'nanoevents';
import type { TaskInfo } from '@ix-playground/sdk/protocol';
import type { ManifestTask } from './manifest-schema.js';
import type { ExecResult } from './sandbox.js';

/** How many lines of a check's output reach the learner. */
const MESSAGE_LINES = 5;

/** Events of a {@link TaskRunner}. */
export interface TaskRunnerEvents {
  /** A task's state or message changed. */
  task(task: TaskInfo): void;
}

/** Options of a {@link TaskRunner}. */
export interface TaskRunnerOptions {
  /** Runs a script in the learner's sandbox. */
  exec: (script: string, timeoutMs: number) => Promise<ExecResult>;
  /** Quiet time after a trigger before checks run (Enter presses come in bursts). */
  debounceMs?: number;
  /** Period of the slow timer; 0 turns it off. */
  intervalMs?: number;
}

/**
 * Runs task checks in a session's sandbox: one at a time, only for tasks whose `needs` are done,
 * on trigger (debounced), on a slow timer and on demand. Done latches.
 */
export class TaskRunner {
  #tasks: ManifestTask[];
  #state = new Map<string, TaskInfo>();
  #options: Required<TaskRunnerOptions>;
  #events = createNanoEvents<TaskRunnerEvents>();
  #debounce: ReturnType<typeof setTimeout> | undefined;
  #interval: ReturnType<typeof setInterval> | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #disposed = false;

  constructor(tasks: ManifestTask[], options: TaskRunnerOptions) {
    this.#tasks = tasks;
    this.#options = { debounceMs: 300, intervalMs: 5000, ...options };
    for (const task of tasks) {
      this.#state.set(task.id, {
        id: task.id,
        title: task.title,
        ...(task.hint !== undefined ? { hint: task.hint } : {}),
        needs: task.needs,
        state: task.needs.length ? 'blocked' : 'pending',
      });
    }
    if (this.#options.intervalMs > 0 && tasks.length) {
      this.#interval = setInterval(() => void this.run(), this.#options.intervalMs);
      this.#interval.unref?.();
    }
  }

  /** The current state of every task, in manifest order. */
  get tasks(): TaskInfo[] {
    return this.#tasks.map((t) => this.#state.get(t.id) as TaskInfo);
  }

  /** Done and total counts. */
  get progress(): { done: number; total: number } {
    return { done: this.tasks.filter((t) => t.state === 'done').length, total: this.#tasks.length };
  }

  /** Subscribes to task changes; returns an unsubscribe function. */
  on<E extends keyof TaskRunnerEvents>(event: E, callback: TaskRunnerEvents[E]): () => void {
    return this.#events.on(event, callback);
  }

  /** Schedules a check pass after the debounce period (for example on Enter). */
  trigger(): void {
    if (this.#disposed || !this.#tasks.length) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.run(), this.#options.debounceMs);
  }

  /** Runs a check pass now; if one is under way, another follows it. Resolves when checks are idle. */
  run(): Promise<void> {
    if (this.#disposed) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#pass();
      } while (this.#again && !this.#disposed);
      this.#running = undefined;
    })();
    return this.#running;
  }

  /** Stops the timers; checks under way finish but report nothing. */
  dispose(): void {
    this.#disposed = true;
    clearTimeout(this.#debounce);
    clearInterval(this.#interval);
  }

  async #pass(): Promise<void> {
    // A task that becomes done can unblock later and earlier tasks: loop, bounded by the task count.
    for (let round = 0; round <= this.#tasks.length; round++) {
      let changed = false;
      for (const task of this.#tasks) {
        if (this.#disposed) return;
        const info = this.#state.get(task.id) as TaskInfo;
        if (info.state === 'done') continue;
        const blocked = task.needs.some((need) => this.#state.get(need)?.state !== 'done');
        if (blocked) {
          this.#update({ ...info, state: 'blocked' });
          continue;
        }
        const result = await this.#options.exec(task.check, task.timeout);
        if (this.#disposed) return;
        const done = result.code === 0;
        changed ||= done;
        this.#update({
          ...info,
          state: done ? 'done' : 'pending',
          message: messageOf(result, task.timeout),
          exitCode: result.code,
          durationMs: result.durationMs,
        });
      }
      if (!changed) return;
    }
  }

  #update(next: TaskInfo): void {
    const prev = this.#state.get(next.id);
    this.#state.set(next.id, next);
    if (prev?.state !== next.state || prev?.message !== next.message) this.#events.emit('task', next);
  }
}

function messageOf(result: ExecResult, timeoutMs: number): string | undefined {
  if (result.timedOut) return `the check did not finish within ${timeoutMs / 1000}s and was stopped`;
  const lines = result.output.split('\n').map((l) => l.trimEnd()).filter(Boolean).slice(0, MESSAGE_LINES);
  return lines.length ? lines.join('\n').slice(0, 4000) : undefined;
}
