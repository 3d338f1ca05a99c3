// A driver whose machines are agents on this host (sandbox/remote/agent.ts), reached over
// loopback WebSockets: the remote half of the driver contract (what a pod or a VM driver does
// after it has made its machine), tested without a cluster. Not shipped, not a sandbox.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ImageSpec } from '../manifest/manifest-schema.js';
import { startAgent, type Agent } from '../sandbox/remote/agent.js';
import { openMachine, type RemoteMachine } from '../sandbox/remote/remote-machine.js';
import type { Sandbox, SandboxDriver, SandboxSpec } from '../sandbox/sandbox.js';

/** Machines that are local agents; `agents` are the ones running, for tests to stop. */
export class AgentsDriver implements SandboxDriver {
  readonly name = 'agents';
  readonly agents = new Set<Agent>();

  supportsImage(image: ImageSpec | undefined): boolean {
    return image === undefined;
  }

  async create(spec: SandboxSpec): Promise<Sandbox> {
    const made: { agent: Agent; home: string; machine?: RemoteMachine }[] = [];
    const dispose = async () => {
      for (const { agent, home, machine } of made) {
        machine?.close();
        await agent.close();
        this.agents.delete(agent);
        await rm(home, { recursive: true, force: true });
      }
    };
    try {
      for (const m of spec.machines) {
        const home = await mkdtemp(path.join(os.tmpdir(), `ix-agent-${spec.sessionId.slice(0, 8)}-`));
        const token = randomBytes(24).toString('base64url');
        const agent = await startAgent({ name: m.name, home, user: os.userInfo().username, token, host: '127.0.0.1', port: 0 });
        this.agents.add(agent);
        const entry: (typeof made)[number] = { agent, home };
        made.push(entry);
        entry.machine = await openMachine(agent.url, token, m);
      }
    } catch (error) {
      await dispose();
      throw error;
    }
    let disposed: Promise<void> | undefined;
    return { machines: new Map(made.map(({ machine }) => [machine!.name, machine!])), dispose: () => (disposed ??= dispose()) };
  }
}
