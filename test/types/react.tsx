// React 19: the @lit/react wrappers, and the bare tags in JSX.
import { useRef } from 'react';
import { IxPlayground, IxRun, IxTasks } from '@ix-playground/widget/react';
import type { IxPlayground as IxPlaygroundElement } from '@ix-playground/widget/elements';

export function Lab({ onDone }: { onDone: (total: number) => void }) {
  const ref = useRef<IxPlaygroundElement>(null);
  return (
    <>
      <IxPlayground
        ref={ref}
        id="lab"
        server="https://play.example.com"
        playground="hello"
        connect="click"
        onIxTask={(e) => console.log(e.detail.id, e.detail.state)}
        onIxComplete={(e) => onDone(e.detail.total)}
      />
      <IxTasks for="lab" />
      <IxRun for="lab">ls -la</IxRun>
      <button onClick={() => ref.current?.run('whoami')}>Who am I?</button>
    </>
  );
}

export function BareTags() {
  return (
    <article>
      <ix-playground
        id="lab"
        playground="hello"
        connect="visible"
        session="machine-a"
        theme="dark"
        screen-reader
        onix-status={(e) => console.log(e.detail.status)}
      >
        <p>Fallback while the script loads.</p>
      </ix-playground>
      <ix-tasks for="lab" theme="auto" />
      <ix-run for="lab" theme="light">
        touch hello.txt
      </ix-run>
    </article>
  );
}

export function Mistakes() {
  return (
    <>
      {/* @ts-expect-error connect is visible, click or eager */}
      <ix-playground connect="sometimes" />
      {/* @ts-expect-error the handler gets an IxTaskEvent, whose detail has no `done` */}
      <IxPlayground onIxTask={(e) => e.detail.done.toFixed()} />
      {/* @ts-expect-error the detail of ix-status has no `nope` */}
      <ix-playground onix-status={(e) => e.detail.nope} />
      {/* @ts-expect-error theme is light, dark or auto */}
      <ix-tasks theme="sepia" />
    </>
  );
}
