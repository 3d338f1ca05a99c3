import { BwrapDriver } from './bwrap-driver.js';
import { isLoopback, type ServerConfig } from './config.js';
import { SandboxError } from './errors.js';
import { HostDriver } from './host-driver.js';
import { MachinesDriver } from './machines-driver.js';
import type { SandboxDriver } from './sandbox.js';

/** Makes a driver for a server configuration; throws a {@link SandboxError} when this host cannot run it. */
export type DriverFactory = (config: ServerConfig) => SandboxDriver;

const registry = new Map<string, DriverFactory>();

/** Makes a driver available as `IX_SANDBOX=<name>`. Registering a name again replaces it. */
export function registerDriver(name: string, factory: DriverFactory): void {
  registry.set(name, factory);
}

/** The names of every registered driver. */
export function driverNames(): string[] {
  return [...registry.keys()];
}

/** The driver `config.sandbox` names, refusing unknown names and unsafe combinations with a clear error. */
export function createDriver(config: ServerConfig): SandboxDriver {
  const factory = registry.get(config.sandbox);
  if (!factory) throw new SandboxError(`IX_SANDBOX="${config.sandbox}" is not a sandbox driver; use one of: ${driverNames().join(', ')}`);
  return factory(config);
}

registerDriver('bwrap', (config) => {
  BwrapDriver.check();
  return new BwrapDriver({ allowNetwork: config.allowNetwork ?? false });
});

registerDriver('machines', (config) => {
  MachinesDriver.check();
  return new MachinesDriver({ allowNetwork: config.allowNetwork ?? false });
});

registerDriver('host', (config) => {
  if (!isLoopback(config.host)) {
    throw new SandboxError(`IX_SANDBOX=host gives every visitor a shell on this machine; it only listens on loopback, not on ${config.host}`);
  }
  console.warn('[ix-playground] WARNING: IX_SANDBOX=host: shells run UNSANDBOXED on this machine as this user. For local authoring only.');
  return new HostDriver();
});
