import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { connect, listSnapshots, PlaygroundError, Session, type WebSocketConstructor } from '@ix-playground/sdk';
import { configFromEnv } from '../config.js';
import { startServer, type PlaygroundServer } from '../server.js';
import { waitFor } from '../testing/clients.js';

const WS = WebSocket as unknown as WebSocketConstructor;
const playgrounds = fileURLToPath(new URL('../../../../examples/playgrounds/', import.meta.url));
const ANN = 'ann-anonymous-key-0123456789';
const BOB = 'bob-anonymous-key-9876543210';

describe('saved playgrounds', () => {
  let server: PlaygroundServer;
  let dir: string;
  const open: Session[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ix-snapshots-'));
    server = await startServer({
      ...configFromEnv({ IX_SNAPSHOTS: dir, IX_SNAPSHOT_MAX: '2Mi' }),
      port: 0,
      staticDir: '',
      playgrounds,
      watch: false,
      prebuildImages: false,
      preview: false,
      maxSessionsPerClient: 20,
    });
  });

  after(async () => {
    for (const s of open) s.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A session of `hello` with a shell helper that answers what a command printed. */
  async function learner(options: { owner: string; restore?: string; fork?: string }) {
    const session = await connect({ server: server.url, playground: 'hello', WebSocket: WS, ...options });
    open.push(session);
    let text = '';
    session.on('output', ({ terminal, data }) => terminal === 0 && (text += Session.text(data)));
    const run = async (command: string) => {
      const id = Math.random().toString(36).slice(2, 8);
      session.write(0, `echo B""${id}; ${command}; echo E""${id}\r`);
      const printed = () => new RegExp(`B${id}\\r\\n([\\s\\S]*?)E${id}\\r\\n`).exec(text);
      await waitFor(
        () => Boolean(printed()),
        10_000,
        () => `${command}: ${JSON.stringify(text.slice(-300))}`,
      );
      return (printed()?.[1] ?? '').replace(/\r/g, '');
    };
    return { session, run };
  }

  test('work saved and stopped comes back in a new session, for its owner only', async () => {
    const ann = await learner({ owner: ANN });
    assert.equal(ann.session.features.save, true, 'a session with an owner may be saved');
    await ann.run('echo "my notes" > ~/notes-of-ann.txt');
    const ended = new Promise((resolve) => ann.session.on('ended', resolve));
    const snapshot = await ann.session.save({ stop: true });
    assert.equal(await ended, 'stopped', 'saving and stopping ends the session');
    assert.equal(snapshot.playground, 'hello');
    assert.ok(snapshot.sizeBytes > 0);

    assert.deepEqual(
      (await listSnapshots(server.url, ANN, 'hello')).map((s) => s.id),
      [snapshot.id],
    );
    assert.deepEqual(await listSnapshots(server.url, BOB, 'hello'), [], "bob sees none of ann's");

    const back = await learner({ owner: ANN, restore: snapshot.id });
    assert.equal(await back.run('cat ~/notes-of-ann.txt'), 'my notes\n');

    await assert.rejects(
      connect({ server: server.url, playground: 'hello', WebSocket: WS, owner: BOB, restore: snapshot.id }),
      (e: unknown) => e instanceof PlaygroundError && e.code === 'unauthorized' && /belongs to someone else/.test(e.message),
    );
  });

  test("a fork is a copy: the forker's changes never reach the original", async () => {
    const ann = await learner({ owner: ANN });
    await ann.run('echo original > ~/shared.txt');
    const snapshot = await ann.session.save();
    const bob = await learner({ owner: BOB, fork: snapshot.id });
    assert.equal(await bob.run('cat ~/shared.txt'), 'original\n');
    await bob.run('echo changed-by-bob > ~/shared.txt');
    assert.equal(await ann.run('cat ~/shared.txt'), 'original\n', "ann's running playground is untouched");
    const again = await learner({ owner: ANN, restore: snapshot.id });
    assert.equal(await again.run('cat ~/shared.txt'), 'original\n', "and so is ann's saved one");
  });

  test('a session without an owner is told it cannot be saved, and saving says why', async () => {
    const session = await connect({ server: server.url, playground: 'hello', WebSocket: WS });
    open.push(session);
    assert.equal(session.features.save, false);
    await assert.rejects(session.save(), (e: unknown) => e instanceof PlaygroundError && /no owner/.test(e.message));
  });

  test('a playground over the size limit is not saved, and says why', async () => {
    const ann = await learner({ owner: ANN });
    await ann.run('head -c 3000000 /dev/urandom > ~/big.bin');
    await assert.rejects(ann.session.save(), (e: unknown) => e instanceof PlaygroundError && e.code === 'limit' && /2 MiB/.test(e.message));
    assert.equal(ann.session.status, 'ready', 'the session goes on');
  });
});
