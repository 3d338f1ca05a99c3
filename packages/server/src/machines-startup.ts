import { ImageStore } from './image-store.js';
import type { MachinesDriver } from './machines-driver.js';
import type { Manifest } from './manifest-schema.js';
import { machinesOf, usesImages } from './playground-machines.js';
import type { SandboxDriver } from './sandbox.js';

/**
 * At startup: if some playgrounds run images, checks that this host can run machines (saying
 * which playgrounds cannot start, and why, when it cannot) and builds their images in the
 * background, so the first learner rarely waits for a build. Answers lines for the startup log.
 */
export function prepareMachines(
  manifests: Manifest[],
  driver: () => SandboxDriver,
  log: (line: string) => void = (line) => console.log(`[ix-playground] ${line}`),
): string[] {
  const needing = manifests.filter(usesImages);
  if (!needing.length) return [];
  let machines: MachinesDriver;
  try {
    machines = driver() as MachinesDriver;
  } catch (error) {
    const line = `playgrounds ${needing.map((m) => m.name).join(', ')} cannot start here: ${(error as Error).message}`;
    log(line);
    return [line];
  }
  const specs = new Map(needing.flatMap((m) => machinesOf(m)).flatMap((m) => (m.image ? [[ImageStore.describe(m.image), m.image] as const] : [])));
  void machines
    .images()
    .then((store) => Promise.all([...specs.values()].map((spec) => store.rootfs(spec).catch((error: Error) => log(error.message)))))
    .catch((error: Error) => log(`cannot prepare images: ${error.message}`));
  return [`images for ${needing.map((m) => m.name).join(', ')}: ${[...specs.keys()].join('; ')} (built in the background when not cached)`];
}
