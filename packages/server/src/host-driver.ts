import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as pty from 'node-pty';
import { SandboxError } from './errors.js';
import { execProcess } from './exec-process.js';
import { drainOnExit } from './pty-drain.js';
import { learnerEnv, type ExecResult, type Sandbox, type SandboxDriver, type SandboxSpec } from './sandbox.js';
import { seedFiles } from './seed-files.js';

/**
 * NOT a sandbox: a plain shell on the host in a temporary home, for authoring on your own machine.
 * The server refuses to use it on anything but a loopback address and warns at startup.
 */
export class HostDriver implements SandboxDriver {
  readonly name = 'host';

  async create(spec: SandboxSpec): Promise<Sandbox> {
    const home = await mkdtemp(path.join(os.tmpdir(), `ix-host-${spec.sessionId.slice(0, 8)}-`));
    await seedFiles(home, spec.files);
    const sandbox = new HostSandbox(home);
    if (spec.init) {
      const result = await sandbox.exec(spec.init, 60_000);
      if (result.code !== 0) {
        await sandbox.dispose();
        throw new SandboxError(`the playground's init script failed (exit ${result.code}): ${result.output.trim().slice(-500)}`);
      }
    }
    return sandbox;
  }
}

class HostSandbox implements Sandbox {
  readonly home: string;
  #ptys = new Set<pty.IPty>();

  constructor(home: string) {
    this.home = home;
  }

  spawnShell(size: { cols: number; rows: number }): pty.IPty {
    const term = pty.spawn('/bin/bash', ['-l'], {
      name: 'xterm-256color',
      cols: size.cols,
      rows: size.rows,
      cwd: this.home,
      env: learnerEnv(this.home, os.userInfo().username),
      encoding: null,
    });
    drainOnExit(term);
    this.#ptys.add(term);
    term.onExit(() => this.#ptys.delete(term));
    return term;
  }

  exec(script: string, timeoutMs: number): Promise<ExecResult> {
    return execProcess('/bin/bash', ['-c', script], { env: learnerEnv(this.home, os.userInfo().username), cwd: this.home, timeoutMs });
  }

  async dispose(): Promise<void> {
    for (const term of this.#ptys) term.kill('SIGKILL');
    await rm(this.home, { recursive: true, force: true });
  }
}
