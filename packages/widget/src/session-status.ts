import { ErrorCode, PlaygroundError, type DisposableLike, type EndReason, type SnapshotInfo, type TerminalSession } from '@ix-playground/sdk';
import { IxCompleteEvent, IxProgressEvent, IxTaskEvent } from './events.js';
import type { TerminalHost } from './terminal-host.js';

const ENDED_TEXT: Record<EndReason, string> = {
  exited: 'The shell exited.',
  expired: 'The session expired.',
  shutdown: 'The server shut down.',
  kicked: 'The session was taken over elsewhere.',
  evicted: 'This playground was closed to make room for one you opened in another tab.',
  stopped: 'The playground was saved and stopped.',
  error: 'The session failed.',
};

/**
 * Turns `session`'s events into the element's status, banners and errors, and its tasks' into
 * `ix-task`, `ix-progress` and `ix-complete` (once). `saved` is the save that stopped the session,
 * if the reader made one: the element says until when it is kept.
 */
export function reportSession(session: TerminalSession, host: TerminalHost, saved: () => SnapshotInfo | undefined): DisposableLike[] {
  let completed = false;
  return [
    session.on('notice', (notice) => host.notice({ level: notice.level, text: notice.message })),
    session.on('reconnecting', ({ attempt }) => host.setStatus('reconnecting', `Connection lost. Reconnecting (attempt ${attempt})…`)),
    session.on('status', (status) => {
      if (status === 'ready' && host.status() === 'reconnecting') host.setStatus('ready', '');
      else if (status === 'connecting' || status === 'idle') host.setStatus(status);
    }),
    session.on('ended', (reason) => {
      const save = saved();
      const text =
        reason === 'stopped' && save
          ? `Your files are saved (kept until ${new Date(save.expiresAt).toLocaleDateString()}); programs that were running have stopped. Start again to resume.`
          : ENDED_TEXT[reason];
      host.setStatus('ended', text, reason);
      if (reason !== 'exited') host.error(new PlaygroundError(ErrorCode.Ended, ENDED_TEXT[reason]), true);
    }),
    session.on('error', (error) => host.error(error, session.status !== 'error')),
    session.on('task', (task) => {
      host.element.dispatchEvent(new IxTaskEvent({ id: task.id, title: task.title, state: task.state, ...(task.message ? { message: task.message } : {}) }));
    }),
    session.on('progress', (progress) => {
      host.element.dispatchEvent(new IxProgressEvent(progress));
      if (progress.total > 0 && progress.done === progress.total && !completed) {
        completed = true;
        host.element.dispatchEvent(new IxCompleteEvent({ total: progress.total }));
      }
    }),
  ];
}
