import type { ImageSpec, Manifest } from '../manifest/manifest-schema.js';
import type { MachineSpec } from '../sandbox/sandbox.js';

/** A machine of a playground as a driver gets it, with what the manifest says of it at the top merged in. */
export interface PlaygroundMachine extends MachineSpec {
  /** Its init scripts, the playground's first: run once, in order, before the first prompt. */
  init: string[];
}

/**
 * The machines of a manifest: its `machines`, each with the playground's image, limits, files and
 * init under its own; or, without `machines`, one machine named like the playground.
 */
export function machinesOf(manifest: Manifest): PlaygroundMachine[] {
  const { time: _time, ...limits } = manifest.limits;
  const top = manifest.init ? [manifest.init] : [];
  if (!manifest.machines) {
    return [{ name: manifest.name, hostname: manifest.name, files: manifest.files, limits, init: top, ...(manifest.image ? { image: manifest.image } : {}) }];
  }
  return manifest.machines.map((machine) => {
    const image: ImageSpec | undefined = machine.image ?? manifest.image;
    return {
      name: machine.name,
      hostname: machine.name,
      files: [...manifest.files, ...machine.files],
      limits: { ...limits, ...stripUndefined(machine.limits) },
      init: [...top, ...(machine.init ? [machine.init] : [])],
      ...(image ? { image } : {}),
    };
  });
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
