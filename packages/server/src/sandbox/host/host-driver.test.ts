import { HostDriver } from './host-driver.js';
import { driverContract, hostMachineParts } from '../../testing/driver-contract.js';

driverContract('host', { driver: () => new HostDriver(), ...hostMachineParts });
