/**
 * `@ix-playground/widget/react`: React components for the elements, made with `@lit/react`, with
 * the `ix-*` events as typed `onIxStatus`, `onIxTask`, … props. Importing it registers the tags.
 *
 * ```tsx
 * import { IxPlayground } from '@ix-playground/widget/react';
 * <IxPlayground server="https://play.example.com" playground="hello" onIxTask={(e) => save(e.detail)} />
 * ```
 * @packageDocumentation
 */
import * as React from 'react';
import { createComponent, type EventName } from '@lit/react';
import './define.js';
import type { IxCompleteEvent, IxErrorEvent, IxProgressEvent, IxSavedEvent, IxStatusEvent, IxTaskEvent } from './events.js';
import { IxPlayground as IxPlaygroundElement } from './playground.js';
import { IxRun as IxRunElement } from './run.js';
import { IxTasks as IxTasksElement } from './tasks.js';
export type {} from './react-jsx.js';

/** `<ix-playground>` as a React component; `ref` gives the element (`terminal`, `session`, `run()`). */
export const IxPlayground = createComponent({
  react: React,
  tagName: 'ix-playground',
  elementClass: IxPlaygroundElement,
  displayName: 'IxPlayground',
  events: {
    onIxStatus: 'ix-status' as EventName<IxStatusEvent>,
    onIxTask: 'ix-task' as EventName<IxTaskEvent>,
    onIxProgress: 'ix-progress' as EventName<IxProgressEvent>,
    onIxComplete: 'ix-complete' as EventName<IxCompleteEvent>,
    onIxError: 'ix-error' as EventName<IxErrorEvent>,
    onIxSaved: 'ix-saved' as EventName<IxSavedEvent>,
  },
});

/** `<ix-tasks>` as a React component: set `for` to the id of the playground. */
export const IxTasks = createComponent({ react: React, tagName: 'ix-tasks', elementClass: IxTasksElement, displayName: 'IxTasks' });

/** `<ix-run>` as a React component: the command is its text child. */
export const IxRun = createComponent({ react: React, tagName: 'ix-run', elementClass: IxRunElement, displayName: 'IxRun' });
