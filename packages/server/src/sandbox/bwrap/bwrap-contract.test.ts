import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BwrapDriver } from './bwrap-driver.js';
import { driverContract } from '../../testing/driver-contract.js';
import { hostLeftovers } from '../../testing/host-leftovers.js';

/** Why this host cannot run bwrap sandboxes, if it cannot. */
function unavailable(): string | false {
  try {
    BwrapDriver.check();
  } catch (error) {
    return (error as Error).message;
  }
  return !existsSync('/usr/bin/socat') && 'needs socat';
}

const root = process.getuid?.() === 0;

driverContract('bwrap', {
  driver: () => new BwrapDriver(),
  skip: unavailable(),
  serve: (port, reply) => `socat TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo ${reply}' >/dev/null 2>&1 &`,
  leftovers: (marker) => hostLeftovers(marker, path.join(os.tmpdir(), 'ix-playground', `srv-${process.pid}`)),
  countsUsage: root,
});
