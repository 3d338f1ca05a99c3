import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SandboxError } from './errors.js';
import { execProcess } from './exec-process.js';
import { spawnLocalPty } from './node-pty-process.js';
import type { Pty } from './pty.js';
import { learnerEnv, singleMachine, type ExecResult, type Machine, type Sandbox, type SandboxDriver, type SandboxSpec } from './sandbox.js';
import { seedFiles } from './seed-files.js';

/**
 * NOT a sandbox: a plain shell on the host in a temporary home, for authoring on your own machine.
 * The server refuses to use it on anything but a loopback address and warns at startup.
 */
export class HostDriver implements SandboxDriver {
  readonly name = 'host';

  async create(spec: SandboxSpec): Promise<Sandbox> {
    const [machine, ...more] = spec.machines;
    if (!machine || more.length) throw new SandboxError(`the host driver runs one machine per session; this playground has ${spec.machines.length}`);
    const home = await mkdtemp(path.join(os.tmpdir(), `ix-host-${spec.sessionId.slice(0, 8)}-`));
    await seedFiles(home, machine.files);
    return singleMachine(new HostMachine(machine.name, home));
  }
}

class HostMachine implements Machine {
  readonly name: string;
  readonly home: string;
  #ptys = new Set<Pty>();

  constructor(name: string, home: string) {
    this.name = name;
    this.home = home;
  }

  spawnShell(size: { cols: number; rows: number }): Pty {
    const term = spawnLocalPty('/bin/bash', ['-l'], { ...size, cwd: this.home, env: learnerEnv(this.home, os.userInfo().username) });
    this.#ptys.add(term);
    term.onExit(() => this.#ptys.delete(term));
    return term;
  }

  exec(script: string, timeoutMs: number): Promise<ExecResult> {
    return execProcess('/bin/bash', ['-c', script], { env: learnerEnv(this.home, os.userInfo().username), cwd: this.home, timeoutMs });
  }

  async dispose(): Promise<void> {
    for (const term of this.#ptys) term.kill();
    await rm(this.home, { recursive: true, force: true });
  }
}
