import { existsSync } from 'node:fs';
import { HostDriver } from './host-driver.js';
import { driverContract } from '../../testing/driver-contract.js';
import { processesWith } from '../../testing/host-leftovers.js';

const socat = '/usr/bin/socat';

driverContract('host', {
  driver: () => new HostDriver(),
  skip: !existsSync(socat) && 'needs socat',
  serve: (port, reply) => `${socat} TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo ${reply}' >/dev/null 2>&1 &`,
  leftovers: (marker, machine) => [
    ...processesWith(marker).map((pid) => `process ${pid} (${marker})`),
    ...(existsSync(machine.home) ? [`the home folder ${machine.home}`] : []),
  ],
  countsUsage: false,
});
