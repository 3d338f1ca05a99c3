import { createNanoEvents } from 'nanoevents';
import type { TaskInfo } from '@ix-playground/sdk/protocol';
import type { ManifestTask } from '../manifest/manifest-schema.js';
import type { ExecResult } from '../sandbox/sandbox.js';

/** How many lines of a check's output reach the learner. */
const MESSAGE_LINES = 5;
/**
 * How long past its timeout the runner waits for a check before giving up on it. The sandbox kills
 * a hanging check at its timeout; this guard only matters if the sandbox itself stops answering.
 */
const GIVE_UP_GRACE_MS = 2000;
/**
 * The slow timer's delay doubles after every pass that changes nothing and has no learner activity
 * before it, up to this many times the interval; past that it stops until the learner does something.
 * An idle session therefore spawns no checks at all.
 */
const MAX_BACKOFF = 16;

/** Events of a {@link TaskRunner}. */
export interface TaskRunnerEvents {
  /** A task's state or message changed. */
  task(task: TaskInfo): void;
  /** The whole task list was replaced (manifest hot reload). */
  tasks(tasks: TaskInfo[]): void;
  /** Every task is done (emitted on the change to complete, not on every pass). */
  complete(progress: { done: number; total: number }): void;
}

/** Options of a {@link TaskRunner}. */
export interface TaskRunnerOptions {
  /** Runs a script in the learner's sandbox, on the task's machine (undefined: the first). */
  exec: (script: string, timeoutMs: number, machine?: string) => Promise<ExecResult>;
  /** Quiet time after a trigger before checks run (Enter presses come in bursts). */
  debounceMs?: number;
  /**
   * The slow timer's shortest delay: it runs this long after the learner's activity, doubles while
   * passes change nothing (up to {@link MAX_BACKOFF} times) and then stops; 0 turns it off.
   */
  intervalMs?: number;
}

/** Options of {@link TaskRunner.run}. */
export interface RunOptions {
  /**
   * Report each task as `running` while its check runs. For runs a person asked for (a "check now"
   * button); passes on Enter and on the timer stay quiet so the checklist does not flicker.
   */
  announce?: boolean;
}

/** What one check (with its `fail` check) concluded. */
type Outcome = Pick<TaskInfo, 'state' | 'message' | 'exitCode' | 'durationMs'>;

/**
 * Runs task checks in a session's sandbox: one at a time, only for tasks whose `needs` are done,
 * on trigger (debounced), on demand, and on a slow timer that follows the learner's activity and
 * backs off when nothing changes. Done latches; pending and failed tasks are checked again on
 * every pass, so a learner can fix a mistake.
 */
export class TaskRunner {
  #tasks: ManifestTask[] = [];
  #state = new Map<string, TaskInfo>();
  #options: Required<TaskRunnerOptions>;
  #events = createNanoEvents<TaskRunnerEvents>();
  #debounce: ReturnType<typeof setTimeout> | undefined;
  /** The slow timer, armed only after activity; `#step` is how often its delay has doubled. */
  #timer: ReturnType<typeof setTimeout> | undefined;
  #step = 0;
  #ticking = false;
  /** Activity since the slow timer last fired. */
  #active = false;
  /** A task changed during the current pass. */
  #changed = false;
  #running: Promise<void> | undefined;
  #again = false;
  #announce = false;
  #complete = false;
  #disposed = false;

  constructor(tasks: ManifestTask[], options: TaskRunnerOptions) {
    this.#options = { debounceMs: 300, intervalMs: 5000, ...options };
    this.#setTasks(tasks);
    this.#complete = this.#isComplete();
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

  /** Schedules a quiet check pass after the debounce period (for example on Enter, or a file change). */
  trigger(): void {
    if (this.#disposed || !this.#tasks.length) return;
    this.activity();
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.#start(false), this.#options.debounceMs);
  }

  /**
   * The learner did something (typed, changed a file): the slow timer runs again at its shortest
   * delay, so changes that need no Enter (background jobs, an editor's save) are picked up.
   */
  activity(): void {
    if (this.#disposed || !this.#tasks.length || this.#options.intervalMs <= 0) return;
    // Already due within one interval (or firing now): its next delay will be the shortest again.
    if (this.#ticking || (this.#timer !== undefined && this.#step === 0)) this.#active = true;
    else {
      clearTimeout(this.#timer);
      this.#arm(0);
    }
  }

  #arm(step: number): void {
    this.#step = step;
    this.#timer = setTimeout(() => void this.#tick(), this.#options.intervalMs * 2 ** step);
    this.#timer.unref?.();
  }

  /** The slow timer fired: a quiet pass, then the next delay (shortest again after activity or a change). */
  async #tick(): Promise<void> {
    const active = this.#active;
    this.#active = false;
    this.#changed = false;
    this.#ticking = true;
    await this.#start(false);
    this.#ticking = false;
    this.#timer = undefined;
    if (this.#disposed || this.#isComplete()) return;
    const step = active || this.#changed || this.#active ? 0 : this.#step + 1;
    if (2 ** step <= MAX_BACKOFF) this.#arm(step);
  }

  /** Runs a check pass now; if one is under way, another follows it. Resolves when checks are idle. */
  run(options: RunOptions = {}): Promise<void> {
    return this.#start(options.announce ?? false);
  }

  /**
   * Replaces the task list (manifest hot reload) without touching the sandbox: tasks that are done
   * and still exist stay done, titles and hints come from the new list, and a pass re-checks the rest.
   */
  replaceTasks(tasks: ManifestTask[]): void {
    if (this.#disposed) return;
    this.#setTasks(tasks);
    this.#events.emit('tasks', this.tasks);
    this.#noteComplete();
    void this.#start(false);
  }

  /** Stops the timers; checks under way finish but report nothing. */
  dispose(): void {
    this.#disposed = true;
    clearTimeout(this.#debounce);
    clearTimeout(this.#timer);
  }

  #setTasks(tasks: ManifestTask[]): void {
    const previous = this.#state;
    this.#tasks = tasks;
    this.#state = new Map();
    // Done tasks first: whether the others are blocked depends on them.
    for (const task of tasks) {
      const prev = previous.get(task.id);
      if (prev?.state === 'done') this.#state.set(task.id, { ...describe(task), ...resultOf(prev) });
    }
    for (const task of tasks) {
      if (this.#state.has(task.id)) continue;
      const prev = previous.get(task.id);
      const blocked = task.needs.some((need) => this.#state.get(need)?.state !== 'done');
      // A task we already knew keeps its last result (no flicker on reload) until the next pass.
      const kept = prev && prev.state !== 'blocked' && prev.state !== 'running' ? prev : undefined;
      this.#state.set(task.id, { ...describe(task), ...(blocked ? { state: 'blocked' } : kept ? resultOf(kept) : { state: 'pending' }) });
    }
  }

  #start(announce: boolean): Promise<void> {
    if (this.#disposed) return Promise.resolve();
    this.#announce ||= announce;
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          const loud = this.#announce;
          this.#announce = false;
          await this.#pass(loud);
        } while (this.#again && !this.#disposed);
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  async #pass(announce: boolean): Promise<void> {
    // A reload swaps the list; a pass over the old list stops and a new pass starts.
    const tasks = this.#tasks;
    const stale = () => this.#disposed || this.#tasks !== tasks;
    // A task that becomes done can unblock tasks listed before it: go round again, but check each
    // task at most once per pass. Every round checks at least one new task, so this ends.
    const checked = new Set<string>();
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const task of tasks) {
        if (stale()) return;
        const info = this.#state.get(task.id) as TaskInfo;
        if (info.state === 'done' || checked.has(task.id)) continue;
        if (task.needs.some((need) => this.#state.get(need)?.state !== 'done')) {
          this.#update({ ...describe(task), state: 'blocked' });
          continue;
        }
        checked.add(task.id);
        progressed = true;
        if (announce) this.#update({ ...info, state: 'running' });
        const outcome = await this.#check(task);
        if (stale()) return;
        this.#update({ ...describe(task), ...outcome });
      }
    }
  }

  /** Runs a task's check and, if it is not done, its `fail` check. */
  async #check(task: ManifestTask): Promise<Outcome> {
    const result = await this.#exec(task.check, task.timeout, task.machine);
    if (result.code === 0) return { state: 'done', message: messageOf(result.output), exitCode: 0, durationMs: result.durationMs };
    if (result.timedOut) {
      return {
        state: 'pending',
        message: `the check did not finish within ${task.timeout / 1000}s and was stopped`,
        exitCode: null,
        durationMs: result.durationMs,
      };
    }
    const pending: Outcome = { state: 'pending', message: messageOf(result.output), exitCode: result.code, durationMs: result.durationMs };
    if (!task.fail || this.#disposed) return pending;
    const wrong = await this.#exec(task.fail.check, task.timeout, task.machine);
    const durationMs = result.durationMs + wrong.durationMs;
    return wrong.code === 0 ? { state: 'failed', message: task.fail.message, exitCode: result.code, durationMs } : { ...pending, durationMs };
  }

  /** The sandbox's exec, but never throwing and never taking much longer than the timeout. */
  async #exec(script: string, timeoutMs: number, machine: string | undefined): Promise<ExecResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const giveUp = new Promise<ExecResult>((resolve) => {
      timer = setTimeout(() => resolve({ code: null, output: '', timedOut: true, durationMs: elapsed() }), timeoutMs + GIVE_UP_GRACE_MS);
      timer.unref?.();
    });
    const run = this.#options.exec(script, timeoutMs, machine).catch((error: unknown): ExecResult => ({
      code: null,
      output: `the check could not run: ${(error as Error)?.message ?? String(error)}`,
      timedOut: false,
      durationMs: elapsed(),
    }));
    try {
      return await Promise.race([run, giveUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  #update(next: TaskInfo): void {
    const prev = this.#state.get(next.id);
    this.#state.set(next.id, next);
    if (prev?.state !== next.state || prev?.message !== next.message) {
      this.#changed = true;
      this.#events.emit('task', next);
    }
    this.#noteComplete();
  }

  #isComplete(): boolean {
    return this.#tasks.length > 0 && this.#tasks.every((t) => this.#state.get(t.id)?.state === 'done');
  }

  #noteComplete(): void {
    const complete = this.#isComplete();
    if (complete && !this.#complete) {
      this.#complete = true;
      this.#events.emit('complete', this.progress);
    }
    this.#complete = complete;
  }
}

/** The parts of a task's info that come from the manifest. */
function describe(task: ManifestTask): Pick<TaskInfo, 'id' | 'title' | 'hint' | 'needs'> {
  return { id: task.id, title: task.title, ...(task.hint !== undefined ? { hint: task.hint } : {}), needs: task.needs };
}

/** The parts of a task's info that a check produced. */
function resultOf(info: TaskInfo): Outcome {
  const { state, message, exitCode, durationMs } = info;
  return {
    state,
    ...(message !== undefined ? { message } : {}),
    ...(exitCode !== undefined ? { exitCode } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
  };
}

function messageOf(output: string): string | undefined {
  const lines = output
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(0, MESSAGE_LINES);
  return lines.length ? lines.join('\n').slice(0, 4000) : undefined;
}
