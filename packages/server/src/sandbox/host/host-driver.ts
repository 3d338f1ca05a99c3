import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SandboxError } from '../../errors.js';
import type { ImageSpec } from '../../manifest/manifest-schema.js';
import { LocalMachine } from '../local/local-machine.js';
import { singleMachine, type Sandbox, type SandboxDriver, type SandboxSpec } from '../sandbox.js';

/**
 * NOT a sandbox: a plain shell on the host in a temporary home, for authoring on your own machine.
 * The server refuses to use it on anything but a loopback address and warns at startup.
 */
export class HostDriver implements SandboxDriver {
  readonly name = 'host';

  supportsImage(image: ImageSpec | undefined): boolean {
    return image === undefined;
  }

  async create(spec: SandboxSpec): Promise<Sandbox> {
    const [machine, ...more] = spec.machines;
    if (!machine || more.length) throw new SandboxError(`the host driver runs one machine per session; this playground has ${spec.machines.length}`);
    const home = await mkdtemp(path.join(os.tmpdir(), `ix-host-${spec.sessionId.slice(0, 8)}-`));
    const local = new LocalMachine({ name: machine.name, home, user: os.userInfo().username, removeHome: true });
    try {
      if (machine.restore) await local.restore(machine.restore);
      else await local.seed(machine.files);
    } catch (error) {
      await rm(home, { recursive: true, force: true });
      throw new SandboxError(`cannot make the home folder: ${(error as Error).message}`, { cause: error });
    }
    return singleMachine(local);
  }
}
