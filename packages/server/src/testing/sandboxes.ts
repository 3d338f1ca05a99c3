// Helpers for tests that drive a sandbox driver directly. Not shipped.
import { randomBytes } from 'node:crypto';
import type { Machine, MachineSpec, Sandbox, SandboxDriver, SandboxSpec } from '../sandbox/sandbox.js';

/** A one-machine spec named `lab`, with modest limits, and `overrides` on the machine. */
export function oneMachine(overrides: Partial<MachineSpec> = {}, limits: Partial<MachineSpec['limits']> = {}): SandboxSpec {
  return {
    sessionId: randomBytes(4).toString('hex'),
    machines: [
      {
        name: 'lab',
        hostname: 'lab',
        files: [],
        ...overrides,
        limits: { memory: 512 * 1024 ** 2, pids: 64, cpu: 100, disk: 64 * 1024 ** 2, network: false, ...overrides.limits, ...limits },
      },
    ],
  };
}

/** A machine of a test, with the sandbox it belongs to (dispose ends both). */
export type TestMachine = Machine & { dispose(): Promise<void>; sandbox: Sandbox };

/** Creates the sandbox of `spec` with `driver`, remembers it in `live` (for cleanup) and answers its machine. */
export async function createMachine(driver: SandboxDriver, live: Set<Sandbox>, spec: SandboxSpec): Promise<TestMachine> {
  const sandbox = await driver.create(spec);
  live.add(sandbox);
  const machine = [...sandbox.machines.values()][0];
  if (!machine) throw new Error('the sandbox has no machine');
  return Object.assign(Object.create(machine) as Machine, {
    name: machine.name,
    home: machine.home,
    spawnShell: machine.spawnShell.bind(machine),
    exec: machine.exec.bind(machine),
    ...(machine.usage ? { usage: machine.usage.bind(machine) } : {}),
    sandbox,
    dispose: async () => {
      live.delete(sandbox);
      await sandbox.dispose();
    },
  });
}
