import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { connect, Session, type TaskInfo, type WebSocketConstructor } from '@ix-playground/sdk';
import { configFromEnv } from '../config.js';
import { startServer, type PlaygroundServer } from '../server.js';

const WS = WebSocket as unknown as WebSocketConstructor;

/** Polls `check` until true; fails with `what` after `ms`. */
async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const manifest = (tasks: string[], extra: string[] = []) => ['name: lab', 'title: Lab', ...extra, 'tasks:', ...tasks].join('\n') + '\n';
const makeFile = ['  - id: make-file', '    title: Create hello.txt', '    check: test -f ~/hello.txt || { echo "no hello.txt yet"; exit 1; }'];
const writeHi = [
  '  - id: write-hi',
  '    title: Write hi into hello.txt',
  '    hint: Use `echo hi > hello.txt`.',
  '    needs: [make-file]',
  '    check: grep -qx hi ~/hello.txt',
];

let dir = '';
let file = '';
let server: PlaygroundServer;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ix-hot-reload-'));
  file = path.join(dir, 'lab.yaml');
  await writeFile(file, manifest(makeFile));
  server = await startServer({ ...configFromEnv({}), port: 0, staticDir: '', playgrounds: dir, checkIntervalMs: 0, webhook: undefined, watch: true });
});

after(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A client of the server with everything it received recorded. */
async function client() {
  const session = await connect({ server: server.url, playground: 'lab', WebSocket: WS, reconnect: false });
  const seen = { text: '', task: [] as string[], tasks: [] as TaskInfo[][], notices: [] as { level: string; message: string }[] };
  session.on('output', ({ terminal, data }) => {
    if (terminal === 0) seen.text += Session.text(data);
  });
  session.on('task', (t) => seen.task.push(`${t.id}:${t.state}`));
  session.on('tasks', (tasks) => seen.tasks.push(tasks));
  session.on('notice', (n) => seen.notices.push(n));
  return { session, seen };
}

/** The shell's pid, asked of the shell itself. */
async function shellPid(session: Session, seen: { text: string }, tag: string): Promise<string> {
  session.write(0, `echo ${tag}=$$\r`);
  const pattern = new RegExp(`^${tag}=(\\d+)\\r?$`, 'm');
  await until(() => pattern.test(seen.text), `the shell to answer ${tag}`);
  return pattern.exec(seen.text)?.[1] ?? '';
}

test(
  'saving a manifest reaches a live session: new tasks, done kept, same shell; an invalid save keeps the last good version',
  { timeout: 60_000 },
  async () => {
    const { session, seen } = await client();
    try {
      assert.deepEqual(
        session.tasks.map((t) => t.id),
        ['make-file'],
      );
      const pid = await shellPid(session, seen, 'before');
      assert.ok(pid, 'the shell told its pid');

      // Checks asked for on demand show the task running first (forwarded by the gateway), once the
      // session's first quiet pass is over.
      await until(() => session.tasks[0]?.message === 'no hello.txt yet', 'the first check pass');
      seen.task = [];
      session.runChecks();
      await until(() => seen.task.includes('make-file:pending'), 'the on-demand check result');
      assert.deepEqual(seen.task.slice(0, 2), ['make-file:running', 'make-file:pending']);
      assert.equal(session.tasks[0]?.message, 'no hello.txt yet');

      // Doing the task: Enter triggers a quiet pass, which ticks it without a running flicker.
      seen.task = [];
      session.write(0, 'touch ~/hello.txt\r');
      await until(() => seen.task.includes('make-file:done'), 'make-file to be done');
      assert.deepEqual(seen.task, ['make-file:done']);

      // The author adds a task and retitles the first one.
      await writeFile(file, manifest([...makeFile.map((l) => l.replace('Create hello.txt', 'Create the file hello.txt')), ...writeHi]));
      await until(() => seen.tasks.some((list) => list.some((t) => t.id === 'write-hi')), 'a tasks message with the new task');
      const list = seen.tasks.find((l) => l.some((t) => t.id === 'write-hi')) ?? [];
      assert.deepEqual(
        list.map((t) => [t.id, t.title, t.state]),
        [
          ['make-file', 'Create the file hello.txt', 'done'],
          ['write-hi', 'Write hi into hello.txt', 'pending'],
        ],
      );
      assert.equal(list[1]?.hint, 'Use `echo hi > hello.txt`.');
      await until(() => seen.notices.some((n) => n.level === 'info'), 'the reload notice');
      assert.match(seen.notices.find((n) => n.level === 'info')?.message ?? '', /lab\.yaml was reloaded: 2 task\(s\)/);
      assert.equal(session.status, 'ready');
      assert.equal(await shellPid(session, seen, 'after'), pid, 'the same shell keeps running');
      assert.deepEqual(
        server.manifests.get('lab')?.tasks.map((t) => t.id),
        ['make-file', 'write-hi'],
      );

      // The new task works in the same shell.
      session.write(0, 'echo hi > ~/hello.txt\r');
      await until(() => session.tasks.find((t) => t.id === 'write-hi')?.state === 'done', 'write-hi to be done');

      // An invalid save (a typo at line 3): the error reaches the page with file and line; nothing else changes.
      const tasksBefore = seen.tasks.length;
      await writeFile(file, manifest([...makeFile, ...writeHi], ['descripton: typo']));
      await until(() => seen.notices.some((n) => n.level === 'error'), 'the error notice');
      assert.equal(seen.notices.find((n) => n.level === 'error')?.message, 'lab.yaml:3: descripton: unknown key "descripton"');
      assert.equal(seen.tasks.length, tasksBefore, 'no tasks message for an invalid save');
      assert.deepEqual(
        session.tasks.map((t) => [t.id, t.state]),
        [
          ['make-file', 'done'],
          ['write-hi', 'done'],
        ],
      );
      assert.deepEqual(
        server.manifests.get('lab')?.tasks.map((t) => t.id),
        ['make-file', 'write-hi'],
        'the last good version stays',
      );

      // A new session meanwhile starts from the last good version.
      const other = await connect({ server: server.url, playground: 'lab', WebSocket: WS, reconnect: false });
      try {
        assert.deepEqual(
          other.tasks.map((t) => t.id),
          ['make-file', 'write-hi'],
        );
      } finally {
        other.close();
      }
      assert.equal(await shellPid(session, seen, 'still'), pid);
    } finally {
      session.close();
    }
  },
);
