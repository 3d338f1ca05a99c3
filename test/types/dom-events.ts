// `ix-*` events are typed wherever a page listens: on the elements, the document and the window.
import '@ix-playground/widget';
import type { IxTaskEvent, PlaygroundStatus } from '@ix-playground/widget';
import type { TaskState } from '@ix-playground/sdk';

const playground = document.querySelector('ix-playground')!;
playground.addEventListener('ix-status', (e) => {
  const status: PlaygroundStatus = e.detail.status;
  console.log(status, e.detail.reason?.toUpperCase());
});
playground.run('ls');
console.log(playground.terminal?.cols, playground.session?.id, playground.status);

document.addEventListener('ix-task', (e) => {
  const event: IxTaskEvent = e;
  const state: TaskState = e.detail.state;
  console.log(event.detail.id, e.detail.title, state, e.detail.message);
});
document.addEventListener('ix-progress', (e) => console.log(e.detail.done / e.detail.total));
window.addEventListener('ix-complete', (e) => console.log(e.detail.total));
window.addEventListener('ix-error', (e) => console.log(e.detail.code, e.detail.message));

const tasks: HTMLElementTagNameMap['ix-tasks'] = document.createElement('ix-tasks');
tasks.for = 'lab';
const run = document.createElement('ix-run');
run.run();

// @ts-expect-error the detail of ix-task has no such field
document.addEventListener('ix-task', (e) => e.detail.nope);
// @ts-expect-error ix-progress counts are numbers
window.addEventListener('ix-progress', (e) => e.detail.done.toUpperCase());
// @ts-expect-error run() takes a command
playground.run();
