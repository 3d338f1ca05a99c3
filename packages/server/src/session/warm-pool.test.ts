// The warm pool and shutdown of the session manager, over the fake driver (no bubblewrap needed).
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { parseManifest } from '../manifest/manifest.js';
import type { Manifest } from '../manifest/manifest-schema.js';
import type { PlaygroundSession } from './playground-session.js';
import type { Sandbox, SandboxSpec } from '../sandbox/sandbox.js';
import { SessionManager } from './session-manager.js';
import { FakeDriver } from '../testing/fake-driver.js';
import { waitFor } from '../testing/clients.js';

const LAB = parseManifest('name: lab\ntitle: Lab\ninit: |\n  touch ~/prepared\ntasks:\n  - { id: a, title: A, check: test -f ~/a }\n', 'lab.yaml');

/** A fake driver whose sandboxes can be held back, to have creations in flight. */
class SlowDriver extends FakeDriver {
  /** While set, every create waits for it. */
  gate: Promise<void> | undefined;
  override async create(spec: SandboxSpec): Promise<Sandbox> {
    await this.gate;
    return super.create(spec);
  }
}

function managerOf(driver: FakeDriver, options: { warmPool?: number; graceMs?: number } = {}): SessionManager {
  return new SessionManager(driver, { graceMs: 60_000, replayBytes: 64 * 1024, checkIntervalMs: 0, maxSessions: 20, maxSessionsPerClient: 20, ...options });
}

/** Every machine the driver made is disposed. */
const allDisposed = (driver: FakeDriver) => driver.machines.every((m) => m.disposed);

describe('warm pool', () => {
  let manager: SessionManager | undefined;
  afterEach(async () => {
    await manager?.shutdown();
    manager = undefined;
  });

  test('a new session is one made before it was asked for, prompt printed, and the pool refills in the background', async () => {
    const driver = new SlowDriver();
    manager = managerOf(driver, { warmPool: 2 });
    manager.warm([LAB]);
    await waitFor(() => driver.machines.length === 2, 2000, 'two sessions made ahead');
    let open!: () => void;
    driver.gate = new Promise((r) => (open = r)); // no sandbox can be made now
    const session = await manager.create(LAB, 'reader');
    assert.ok(session.terminals.get(0)!.end > 0, 'the shell has printed its prompt already');
    assert.ok(driver.machines[0]!.scripts.includes('touch ~/prepared\n'), 'its init script has run');
    open();
    await waitFor(() => driver.machines.length === 3, 2000, 'the pool to be refilled');
    assert.equal(manager.size, 1, 'pooled sessions are not live sessions');
  });

  test("a pooled session's clock starts when it is handed out, not when it was made", async () => {
    const driver = new FakeDriver();
    manager = managerOf(driver, { warmPool: 1, graceMs: 1000 });
    manager.warm([LAB]);
    await waitFor(() => driver.machines.length === 1, 2000, 'one session made ahead');
    await new Promise((r) => setTimeout(r, 1300));
    assert.ok(!driver.machines[0]!.disposed, 'a pooled session does not expire while it waits, though nobody is attached');
    const session = await manager.create(LAB, 'reader');
    assert.equal(session.endReason, undefined);
    await waitFor(() => session.endReason === 'expired', 3000, 'once handed out, the grace period to run while no page attaches');
  });

  test('after a manifest is reloaded, a session made from the old version is never handed out', async () => {
    const driver = new FakeDriver();
    manager = managerOf(driver, { warmPool: 1 });
    manager.warm([LAB]);
    await waitFor(() => driver.machines.length === 1, 2000, 'one session made ahead');
    const reloaded: Manifest = parseManifest('name: lab\ntitle: Lab, reloaded\ninit: |\n  touch ~/prepared-v2\n', 'lab.yaml');
    const session = await manager.create(reloaded, 'reader');
    assert.equal(session.manifest, reloaded);
    assert.ok(driver.machines[0]!.disposed, 'the stale pooled session was ended');
    assert.ok(driver.machines[1]!.scripts.includes('touch ~/prepared-v2\n'), 'the session has the new init');
  });

  test('the pool stays within the server-wide session limit', async () => {
    const driver = new FakeDriver();
    manager = new SessionManager(driver, { graceMs: 60_000, replayBytes: 64 * 1024, checkIntervalMs: 0, maxSessions: 3, maxSessionsPerClient: 3, warmPool: 2 });
    manager.warm([LAB]);
    await waitFor(() => driver.machines.length === 2, 2000, 'two sessions made ahead');
    await manager.create(LAB, 'reader');
    await manager.create(LAB, 'reader');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(driver.machines.filter((m) => !m.disposed).length, 3, 'two live sessions and one pooled: the limit of three');
  });

  test("a session the pool has none of takes a pooled session's place: live and pooled stay within the limit", async () => {
    const driver = new FakeDriver();
    manager = new SessionManager(driver, { graceMs: 60_000, replayBytes: 64 * 1024, checkIntervalMs: 0, maxSessions: 2, maxSessionsPerClient: 2, warmPool: 2 });
    manager.warm([LAB]);
    await waitFor(() => driver.machines.length === 2, 2000, 'two sessions made ahead');
    const other = parseManifest('name: other\ntitle: Other\n', 'other.yaml');
    const session = await manager.create(other, 'reader');
    assert.equal(session.manifest, other);
    assert.equal(driver.machines.filter((m) => !m.disposed).length, 2, 'one live session and one pooled: the limit of two');
  });
});

describe('shutdown', () => {
  test('ends live and pooled sessions and those still being made; requests still waiting fail as unavailable; nothing is left', async () => {
    const driver = new SlowDriver();
    const manager = managerOf(driver, { warmPool: 2 });
    manager.warm([LAB]);
    await waitFor(() => driver.machines.length === 2, 2000, 'two sessions made ahead');
    const live = await manager.create(LAB, 'reader'); // from the pool
    let open!: () => void;
    driver.gate = new Promise((r) => (open = r));
    const inFlight = [1, 2, 3, 4].map(() =>
      manager.create(LAB, 'reader').then(
        (s: PlaygroundSession) => s,
        (e: unknown) => e,
      ),
    );
    await new Promise((r) => setTimeout(r, 20));
    const closing = manager.shutdown();
    open(); // the sandboxes get made while the server shuts down
    await closing;
    assert.equal(live.endReason, 'shutdown');
    const results = await Promise.all(inFlight);
    const failed = results.filter((r) => (r as { code?: string }).code === 'unavailable');
    const ended = results.filter((r) => (r as PlaygroundSession).endReason === 'shutdown');
    assert.equal(failed.length + ended.length, results.length, 'each request either failed as unavailable or got a session that has ended since');
    assert.ok(failed.length >= 1, 'the requests whose sandbox was still being made failed');
    assert.ok(driver.machines.length > 2, 'sandboxes were being made during the shutdown');
    assert.ok(allDisposed(driver), 'every sandbox made, in flight or pooled, is gone');
    assert.equal(manager.size, 0);
    await assert.rejects(manager.create(LAB, 'reader'), { code: 'unavailable' });
  });
});
