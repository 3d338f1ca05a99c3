import { isLoopback, type ServerConfig } from '../config.js';
import { SandboxError } from '../errors.js';
import { describeImage, type ImageSpec } from '../manifest/manifest-schema.js';
import { BwrapDriver } from './bwrap/bwrap-driver.js';
import { HostDriver } from './host/host-driver.js';
import { KubernetesDriver } from './kubernetes/kubernetes-driver.js';
import { MachinesDriver } from './machines/machines-driver.js';
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

/**
 * The drivers a server runs playgrounds on: its own (`IX_SANDBOX`) for every playground it can
 * run, and the image driver (`IX_IMAGE_SANDBOX`, made when first needed) for playgrounds whose
 * images only that one runs.
 */
export class SandboxDrivers {
  readonly #primary: SandboxDriver;
  readonly #makeImages: () => SandboxDriver;
  #images: SandboxDriver | undefined;
  #imagesError: unknown;

  /** `images` makes the image driver; it may throw (this host cannot run it), which is remembered per call. */
  constructor(primary: SandboxDriver, images: () => SandboxDriver) {
    this.#primary = primary;
    this.#makeImages = images;
  }

  /** For a server configuration: the image driver is `config.imageSandbox`, or the primary one when they are the same. */
  static fromConfig(config: ServerConfig, primary: SandboxDriver): SandboxDrivers {
    const name = config.imageSandbox ?? 'machines';
    return new SandboxDrivers(primary, () => (name === primary.name ? primary : createDriver({ ...config, sandbox: name })));
  }

  /** The server's own driver. */
  get primary(): SandboxDriver {
    return this.#primary;
  }

  /** The image driver, made now if it was not yet (throws a {@link SandboxError} when this host cannot run it). */
  #imageDriver(): SandboxDriver {
    if (this.#images) return this.#images;
    if (this.#imagesError) throw this.#imagesError; // the host does not change: say so at once
    try {
      this.#images = this.#makeImages();
    } catch (error) {
      this.#imagesError = error;
      throw error;
    }
    return this.#images;
  }

  /**
   * The driver that runs every machine of a playground (`images`: each machine's image, undefined
   * for the host's system); throws a {@link SandboxError} that says why when none does.
   */
  pick(playground: string, images: readonly (ImageSpec | undefined)[]): SandboxDriver {
    if (images.every((image) => this.#primary.supportsImage(image))) return this.#primary;
    const driver = this.#imageDriver();
    if (images.every((image) => driver.supportsImage(image))) return driver;
    const wanted = [...new Set(images.map((image) => (image ? describeImage(image) : "the host's system")))].join('; ');
    const drivers = driver === this.#primary ? `the ${driver.name} driver cannot` : `neither the ${this.#primary.name} nor the ${driver.name} driver can`;
    throw new SandboxError(`playground "${playground}" runs ${wanted}, which ${drivers} run (see IX_SANDBOX and IX_IMAGE_SANDBOX)`);
  }

  /**
   * At startup: picks the driver of every playground and gets its images ready in the background,
   * so the first learner rarely waits. Answers lines for the startup log (and logs later failures).
   */
  prepare(playgrounds: readonly { name: string; images: readonly (ImageSpec | undefined)[] }[], log: (line: string) => void): string[] {
    const lines: string[] = [];
    const work = new Map<SandboxDriver, Map<string, ImageSpec>>();
    for (const { name, images } of playgrounds) {
      let driver: SandboxDriver;
      try {
        driver = this.pick(name, images);
      } catch (error) {
        lines.push(`playground ${name} cannot start here: ${(error as Error).message}`);
        continue;
      }
      const todo = work.get(driver) ?? new Map<string, ImageSpec>();
      for (const image of images) if (image) todo.set(describeImage(image), image);
      work.set(driver, todo);
    }
    for (const [driver, images] of work) {
      if (!images.size || !driver.prepare) continue;
      lines.push(`images for the ${driver.name} driver: ${[...images.keys()].join('; ')} (made in the background when not ready)`);
      for (const [name, image] of images) void driver.prepare([image]).catch((error: Error) => log(`cannot prepare the image ${name}: ${error.message}`));
    }
    for (const line of lines) log(line);
    return lines;
  }

  /** Releases what the drivers hold (after every sandbox is disposed). */
  async close(): Promise<void> {
    await this.#primary.close?.();
    if (this.#images && this.#images !== this.#primary) await this.#images.close?.();
  }
}

registerDriver('bwrap', (config) => {
  BwrapDriver.check();
  return new BwrapDriver({ allowNetwork: config.allowNetwork ?? false });
});

registerDriver('machines', (config) => {
  MachinesDriver.check();
  return new MachinesDriver({ allowNetwork: config.allowNetwork ?? false });
});

registerDriver('kubernetes', (config) => {
  const k8s = config.kubernetes;
  if (!k8s?.agentImage) throw new SandboxError('IX_SANDBOX=kubernetes needs IX_K8S_AGENT_IMAGE, the agent image in your registry (docs/kubernetes.md)');
  return new KubernetesDriver({
    namespace: k8s.namespace,
    agentImage: k8s.agentImage,
    defaultImage: k8s.defaultImage,
    userNamespaces: k8s.userNamespaces,
    allowNetwork: config.allowNetwork ?? false,
    toGateways: !!(config.webhook && k8s.secret && k8s.gatewayUrl),
  });
});

registerDriver('host', (config) => {
  if (!isLoopback(config.host)) {
    throw new SandboxError(`IX_SANDBOX=host gives every visitor a shell on this machine; it only listens on loopback, not on ${config.host}`);
  }
  console.warn('[ix-playground] WARNING: IX_SANDBOX=host: shells run UNSANDBOXED on this machine as this user. For local authoring only.');
  return new HostDriver();
});
