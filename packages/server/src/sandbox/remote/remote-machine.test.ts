import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AgentsDriver } from '../../testing/agents-driver.js';
import { driverContract, hostMachineParts } from '../../testing/driver-contract.js';
import { RemoteMachine } from './remote-machine.js';

const limits = { memory: 256 * 1024 ** 2, pids: 64, cpu: 100, disk: 64 * 1024 ** 2, network: false };

// Machines behind agents, over the machine protocol: what the Kubernetes driver's pods are.
driverContract('agents (remote machines)', { driver: () => new AgentsDriver(), ...hostMachineParts });

describe('a machine across a network', () => {
  test('an agent refuses a wrong token before any machine protocol', async () => {
    const driver = new AgentsDriver();
    const sandbox = await driver.create({ sessionId: 'wrongtok', machines: [{ name: 'lab', hostname: 'lab', files: [], limits }] });
    try {
      const [agent] = [...driver.agents];
      await assert.rejects(RemoteMachine.open(agent!.url, 'not-the-token-of-this-agent-at-all'), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'sandbox');
        assert.match(e.message, /cannot reach the machine's agent .*401/);
        return true;
      });
    } finally {
      await sandbox.dispose();
    }
  });

  test('when the agent goes away, its shells exit, scripts fail and new shells are refused with a sandbox error', async () => {
    const driver = new AgentsDriver();
    const sandbox = await driver.create({ sessionId: 'agentgone', machines: [{ name: 'lab', hostname: 'lab', files: [], limits }] });
    try {
      const machine = sandbox.machines.get('lab')!;
      const shell = await machine.spawnShell({ cols: 80, rows: 24 });
      const exited = new Promise<number | null>((resolve) => shell.onExit(resolve));
      for (const agent of driver.agents) await agent.close();
      assert.equal(await exited, null);
      const late = await machine.exec('echo hi', 5000);
      assert.equal(late.code, null);
      assert.match(late.output, /agent went away|gone/);
      await assert.rejects(machine.spawnShell({ cols: 80, rows: 24 }), (e: Error & { code?: string }) => e.code === 'sandbox');
    } finally {
      await sandbox.dispose();
    }
  });
});
