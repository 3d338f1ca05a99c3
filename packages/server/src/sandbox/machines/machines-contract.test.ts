import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { rmSync } from 'node:fs';
import { MachinesDriver } from './machines-driver.js';
import { driverContract } from '../../testing/driver-contract.js';
import { hostLeftovers } from '../../testing/host-leftovers.js';
import { tinyLayout } from '../../testing/oci-layout.js';

/** Why this host cannot run machines, if it cannot. */
function unavailable(): string | false {
  if (process.getuid?.() !== 0) return 'needs root';
  try {
    MachinesDriver.check();
    execFileSync('umoci', ['--version']);
    execFileSync('sh', ['-c', 'command -v socat']);
  } catch (error) {
    return `needs crun, mmdebstrap, umoci and socat: ${(error as Error).message}`;
  }
  return false;
}

const skip = unavailable();
const dir = mkdtempSync(path.join(os.tmpdir(), 'ix-contract-oci-'));
const cache = mkdtempSync(path.join(os.tmpdir(), 'ix-contract-cache-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
});
/** The image: the programs the contract's scripts use, from the host, and nothing else. */
const programs = ['/bin/bash', '/bin/cat', '/bin/sleep', '/usr/bin/seq', '/bin/stty', '/usr/bin/touch', '/bin/rm', '/usr/bin/socat'];
let layout: string | undefined;
const stateDir = path.join(os.tmpdir(), 'ix-playground', `srv-${process.pid}`, 'machines');

driverContract('machines', {
  driver: () => new MachinesDriver({ cacheDir: cache }),
  skip,
  image: () => ({ oci: `${(layout ??= tinyLayout(dir, programs))}:tiny` }),
  serve: (port, reply) => `socat TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo ${reply}' >/dev/null 2>&1 &`,
  leftovers: (marker) => {
    let containers: string[] = [];
    try {
      containers = readdirSync(path.join(stateDir, 'crun')).map((name) => `crun container ${name}`);
    } catch {
      // no container was ever started
    }
    return [...hostLeftovers(marker, stateDir), ...containers];
  },
  countsUsage: true,
});
