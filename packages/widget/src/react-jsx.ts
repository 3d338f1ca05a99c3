/**
 * `@ix-playground/widget/react-jsx`: types `<ix-playground>`, `<ix-tasks>` and `<ix-run>` in React
 * 19's JSX, where custom elements are first-class: attributes as props, and `ix-*` events as
 * `onix-status={(e) => e.detail.status}` props (React 19 listens for `on` + the event's name).
 * Types only; import it once with `import type {} from '@ix-playground/widget/react-jsx'`.
 * `@ix-playground/widget/react` includes it.
 * @packageDocumentation
 */
import type { DetailedHTMLProps, HTMLAttributes } from 'react';
import type { IxEventMap } from './events.js';
import type { ConnectMode, IxPlayground } from './playground.js';
import type { IxRun } from './run.js';
import type { IxTasks } from './tasks.js';

/** `onix-status`, `onix-task`, …: listeners for the `ix-*` events, typed by event. */
export type IxEventProps = {
  [K in keyof IxEventMap as `on${K}`]?: (event: IxEventMap[K]) => void;
};

/** Props of `<ix-playground>` in JSX. */
export interface IxPlaygroundProps extends DetailedHTMLProps<HTMLAttributes<IxPlayground>, IxPlayground>, IxEventProps {
  /** Base URL of the playground server; defaults to the page's origin. */
  server?: string;
  /** Name of the playground manifest to start. */
  playground?: string;
  /** Wire protocol: `ix` (default) or `ttyd`. */
  protocol?: 'ix' | 'ttyd';
  /** When to start: `visible` (default), `click` or `eager`. */
  connect?: ConnectMode;
  /** A signed session token from your site's backend, for servers that require one. */
  token?: string;
  /** Elements with the same value (and server and playground) share one machine. */
  session?: string;
  /** `light`, `dark` or `auto` (default: the reader's `prefers-color-scheme`). */
  theme?: 'light' | 'dark' | 'auto';
  /** Screen-reader mode on from the start (the toolbar toggles it too). */
  'screen-reader'?: boolean;
}

/** Props of `<ix-tasks>` in JSX. */
export interface IxTasksProps extends DetailedHTMLProps<HTMLAttributes<IxTasks>, IxTasks> {
  /** The id of the `<ix-playground>` whose tasks to show. */
  for?: string;
  /** `light`, `dark` or `auto` (default: the reader's `prefers-color-scheme`). */
  theme?: 'light' | 'dark' | 'auto';
}

/** Props of `<ix-run>` in JSX. */
export interface IxRunProps extends DetailedHTMLProps<HTMLAttributes<IxRun>, IxRun> {
  /** The id of the `<ix-playground>` to run the command in. */
  for?: string;
  /** `light`, `dark` or `auto` (default: the reader's `prefers-color-scheme`). */
  theme?: 'light' | 'dark' | 'auto';
}

declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements {
      'ix-playground': IxPlaygroundProps;
      'ix-tasks': IxTasksProps;
      'ix-run': IxRunProps;
    }
  }
}
