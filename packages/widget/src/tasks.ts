import { LitElement, html, nothing, svg, type PropertyValues } from 'lit';
import type { NoticeLevel, TaskInfo, TaskState, TerminalSession } from '@ix-playground/sdk';
import { DisposableStore } from '@ix-playground/sdk/disposable';
import type { IxStatusEvent } from './events.js';
import { findPlayground } from './find-playground.js';
import { renderMarkdown } from './markdown.js';
import type { IxPlayground } from './playground.js';
import { tasksStyles } from './tasks.styles.js';

/** A message from the server for the person at the page (e.g. the manifest is invalid). */
interface Notice {
  key: number;
  level: NoticeLevel;
  message: string;
}

/** Notices kept on screen at once; older ones drop off. */
const MAX_NOTICES = 3;
/** How long "Check now" says "Checking…" if no task changes in the meantime. */
const CHECKING_MS = 1500;

/** Inline SVG paths of the state icons (emoji and symbol glyphs are missing from some fonts). */
const ICON: Record<TaskState, string> = {
  blocked: 'M7 11V8a5 5 0 0 1 10 0v3M5 11h14v10H5z',
  pending: 'M12 4a8 8 0 1 1 0 16a8 8 0 1 1 0-16',
  running: 'M12 4a8 8 0 1 0 8 8',
  done: 'M5 12.5l4.5 4.5L19 7',
  failed: 'M6 6l12 12M18 6L6 18',
};
const LABEL: Record<TaskState, string> = { blocked: 'Locked', pending: 'To do', running: 'Checking…', done: 'Done', failed: 'Not right yet' };

/**
 * The checklist of an `<ix-playground>`: tasks with their states, a progress bar, hints and a
 * "Check now" button. The tasks come from the playground's session and tick as the learner works.
 *
 * @tag ix-tasks
 * @summary `<ix-tasks for="lab">` beside `<ix-playground id="lab" playground="…">`.
 *
 * @csspart header - Title and the "Check now" button.
 * @csspart check-button - The "Check now" button.
 * @csspart progress - The progress bar's track.
 * @csspart progress-bar - The filled part of the progress bar.
 * @csspart summary - "2 of 3 tasks done" (an aria-live region).
 * @csspart notices - Messages from the server, e.g. a manifest error while authoring.
 * @csspart list - The list of tasks.
 * @csspart task - One task; it also has the part of its state:
 * @csspart task-blocked - A task whose needs are not done yet.
 * @csspart task-pending - A task to do.
 * @csspart task-running - A task whose check is running.
 * @csspart task-done - A done task.
 * @csspart task-failed - A task whose last check failed.
 * @csspart hint-button - The "Show hint" button.
 * @csspart hint - A revealed hint.
 * @csspart message - What a task's check printed.
 *
 * Light or dark: the `theme` attribute (`light`, `dark`, `auto`), else the reader's
 * `prefers-color-scheme`. Task changes are announced to screen readers (politely).
 *
 * @csspart announcer - The visually hidden live region that announces task changes.
 *
 * @cssproperty --ix-tasks-bg - Background colour.
 * @cssproperty --ix-tasks-fg - Text colour.
 * @cssproperty --ix-tasks-muted - Secondary text: task states, the summary, locked tasks.
 * @cssproperty --ix-tasks-border - Border and separator colour.
 * @cssproperty --ix-tasks-track - The progress bar's track.
 * @cssproperty --ix-tasks-accent - Progress bar, done ticks and hint rule.
 * @cssproperty --ix-tasks-danger - Failed tasks and error notices.
 * @cssproperty --ix-tasks-info - The rule of info notices.
 * @cssproperty --ix-tasks-warning - The rule of warning notices.
 * @cssproperty --ix-tasks-link - Links and link-like buttons.
 * @cssproperty --ix-tasks-focus - Focus ring.
 * @cssproperty --ix-tasks-radius - Corner radius.
 * @cssproperty --ix-tasks-font - Font shorthand.
 */
export class IxTasks extends LitElement {
  static override styles = tasksStyles;

  static override properties = {
    for: { type: String, reflect: true },
    theme: { type: String, reflect: true },
  };

  /** The id of the `<ix-playground>` whose tasks to show. */
  for = '';
  /** `light`, `dark`, or `auto` (default: follow the reader's `prefers-color-scheme`). */
  theme: 'light' | 'dark' | 'auto' | undefined;

  #playground: IxPlayground | undefined;
  #problem = '';
  #session: TerminalSession | undefined;
  /** Subscriptions to the current session. */
  #held = new DisposableStore();
  #tasks: readonly TaskInfo[] = [];
  #notices: Notice[] = [];
  #noticeKey = 0;
  #openHints = new Set<string>();
  #checking: ReturnType<typeof setTimeout> | undefined;
  /** The last task change, for screen readers. */
  #said = '';
  #observer: MutationObserver | undefined;
  #onStatus = (event: IxStatusEvent) => {
    if (event.detail.status === 'ready') this.#useSession(this.#playground?.session);
    if (event.detail.status === 'idle' && !this.#playground?.isConnected) this.#bind();
    this.requestUpdate();
  };

  /** The tasks as last reported by the session. */
  get tasks(): readonly TaskInfo[] {
    return this.#tasks;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // The playground may be added, removed or replaced later: look again whenever the tree changes.
    const root = this.getRootNode();
    this.#observer = new MutationObserver(() => this.#bind());
    this.#observer.observe(root instanceof Document || root instanceof ShadowRoot ? root : document, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ['id'],
    });
    this.#bind();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#observer?.disconnect();
    this.#observer = undefined;
    this.#setPlayground(undefined);
    this.#useSession(undefined);
    clearTimeout(this.#checking);
    this.#checking = undefined;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('for') && this.isConnected) this.#bind();
  }

  protected override updated(): void {
    // Through CSSOM, not a style attribute: a strict Content-Security-Policy (style-src without
    // 'unsafe-inline') blocks style attributes, and lit's styleMap writes one on first render.
    const bar = this.renderRoot.querySelector<HTMLElement>('.bar');
    const done = this.#tasks.filter((t) => t.state === 'done').length;
    if (bar) bar.style.width = `${(100 * done) / Math.max(this.#tasks.length, 1)}%`;
  }

  #bind(): void {
    const found = findPlayground(this, this.for, 'ix-tasks');
    if (found.problem !== this.#problem) {
      this.#problem = found.problem ?? '';
      this.requestUpdate();
    }
    this.#setPlayground(found.playground);
  }

  #setPlayground(playground: IxPlayground | undefined): void {
    if (playground === this.#playground) return;
    this.#playground?.removeEventListener('ix-status', this.#onStatus);
    this.#playground = playground;
    playground?.addEventListener('ix-status', this.#onStatus);
    this.#useSession(playground?.status === 'ready' ? playground.session : undefined);
    this.requestUpdate();
  }

  #useSession(session: TerminalSession | undefined): void {
    if (session === this.#session) return;
    this.#held.clear();
    this.#session = session;
    this.#notices = [];
    if (!session) {
      if (!this.#playground) this.#tasks = [];
      this.requestUpdate();
      return;
    }
    this.#tasks = session.tasks;
    this.#held.add(
      session.on('tasks', () => this.#changed()),
      session.on('task', (task) => {
        // Only what the reader did (or undid) is worth interrupting them for, not every check run.
        if (task.state === 'done' || task.state === 'failed') this.#said = `${LABEL[task.state]}: ${task.title}${task.message ? `. ${task.message}` : ''}`;
        this.#changed();
      }),
      session.on('notice', (notice) => {
        this.#notices = [...this.#notices, { ...notice, key: ++this.#noticeKey }].slice(-MAX_NOTICES);
        this.requestUpdate();
      }),
    );
    this.requestUpdate();
  }

  #changed(): void {
    this.#tasks = this.#session?.tasks ?? [];
    clearTimeout(this.#checking);
    this.#checking = undefined;
    this.requestUpdate();
  }

  #checkNow(): void {
    if (!this.#session) return;
    this.#session.runChecks();
    clearTimeout(this.#checking);
    this.#checking = setTimeout(() => {
      this.#checking = undefined;
      this.requestUpdate();
    }, CHECKING_MS);
    this.requestUpdate();
  }

  #toggleHint(id: string): void {
    if (!this.#openHints.delete(id)) this.#openHints.add(id);
    this.requestUpdate();
  }

  #dismiss(key: number): void {
    this.#notices = this.#notices.filter((n) => n.key !== key);
    this.requestUpdate();
  }

  protected override render() {
    if (this.#problem) return html`<p class="problem" role="alert">${this.#problem}</p>`;
    const tasks = this.#tasks;
    const done = tasks.filter((t) => t.state === 'done').length;
    const total = tasks.length;
    const ready = this.#playground?.status === 'ready' && !!this.#session;
    const summary = !total ? '' : done === total ? (total === 1 ? 'The task is done.' : `All ${total} tasks done.`) : `${done} of ${total} tasks done`;
    const title = this.#session?.playground.title || 'Tasks';
    return html`
      <div class="header" part="header">
        <span class="title">${title}</span>
        <button part="check-button" class="check" ?disabled=${!ready || !!this.#checking} @click=${() => this.#checkNow()}>
          ${this.#checking ? 'Checking…' : 'Check now'}
        </button>
      </div>
      ${
        total
          ? html`<div
            class="progress"
            part="progress"
            role="progressbar"
            aria-label="Tasks done"
            aria-valuemin="0"
            aria-valuemax=${total}
            aria-valuenow=${done}
            aria-valuetext=${summary}
          >
            <div class="bar" part="progress-bar"></div>
          </div>`
          : nothing
      }
      <p class="summary" part="summary" role="status" aria-live="polite">${summary}</p>
      <p class="visually-hidden" part="announcer" role="status">${this.#said}</p>
      ${this.#statusLine(total)}
      ${
        this.#notices.length
          ? html`<ul class="notices" part="notices">
            ${this.#notices.map(
              (n) => html`<li class="notice ${n.level}" role=${n.level === 'error' ? 'alert' : 'status'}>
                <span>${n.message}</span>
                <button class="link" aria-label="Dismiss this message" @click=${() => this.#dismiss(n.key)}>Dismiss</button>
              </li>`,
            )}
          </ul>`
          : nothing
      }
      ${total ? html`<ol class="list" part="list">${tasks.map((t, i) => this.#renderTask(t, i))}</ol>` : nothing}
    `;
  }

  #statusLine(total: number) {
    const status = this.#playground?.status;
    if (status === 'ready' && this.#session) return total ? nothing : html`<p class="status">This playground has no tasks.</p>`;
    const text =
      status === 'connecting' || status === 'reconnecting'
        ? 'Connecting to the terminal…'
        : status === 'ended' || status === 'error'
          ? 'The terminal is not running; start it again to go on.'
          : 'The tasks appear when the terminal starts.';
    return html`<p class="status">${text}</p>`;
  }

  #renderTask(task: TaskInfo, index: number) {
    const open = this.#openHints.has(task.id);
    const hintId = `hint-${index}`;
    const waitingFor = task.state === 'blocked' ? task.needs.map((id) => this.#tasks.find((t) => t.id === id)).filter((t) => t && t.state !== 'done') : [];
    const state = waitingFor.length ? `${LABEL.blocked}: first do ${waitingFor.map((t) => `“${t!.title}”`).join(', ')}` : LABEL[task.state];
    return html`<li class="task" part="task task-${task.state}" data-task=${task.id} data-state=${task.state}>
      <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">${svg`<path d=${ICON[task.state]} />`}</svg>
      <div class="body">
        <div class="task-title">${task.title}</div>
        <div class="state">${state}</div>
        ${task.message && task.state !== 'blocked' ? html`<div class="message" part="message">${task.message}</div>` : nothing}
        ${
          task.hint
            ? html`<button
                class="link hint-button"
                part="hint-button"
                aria-expanded=${open ? 'true' : 'false'}
                aria-controls=${hintId}
                @click=${() => this.#toggleHint(task.id)}
              >
                ${open ? 'Hide hint' : 'Show hint'}<span class="visually-hidden"> for “${task.title}”</span>
              </button>
              <div class="hint" part="hint" id=${hintId} ?hidden=${!open}>${open ? renderMarkdown(task.hint) : nothing}</div>`
            : nothing
        }
      </div>
    </li>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ix-tasks': IxTasks;
  }
}
