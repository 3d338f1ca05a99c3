import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { AGENT_DIR, buildAgentBundle } from './agent-bundle.js';

/**
 * Makes the agent's image as an OCI image layout (umoci): one layer holding the bundle at /ix,
 * nothing else (its init container runs the bundle's own Node.js). Answers `<layout>:<tag>`,
 * the tag a digest of the bundle, so a changed server is a new image.
 */
export function buildAgentImage(workDir: string): string {
  mkdirSync(workDir, { recursive: true });
  const bundle = path.join(workDir, 'bundle');
  const tag = buildAgentBundle(bundle);
  const layout = path.join(workDir, 'layout');
  const ref = `${layout}:${tag}`;
  if (existsSync(path.join(layout, 'index.json'))) {
    const tags = execFileSync('umoci', ['ls', '--layout', layout], { encoding: 'utf8' }).split('\n');
    if (tags.includes(tag)) return ref;
  } else {
    execFileSync('umoci', ['init', '--layout', layout]);
  }
  const unpacked = path.join(workDir, 'unpacked');
  rmSync(unpacked, { recursive: true, force: true });
  execFileSync('umoci', ['new', '--image', ref]);
  execFileSync('umoci', ['unpack', '--rootless', '--image', ref, unpacked]);
  cpSync(bundle, path.join(unpacked, 'rootfs', AGENT_DIR.slice(1)), { recursive: true });
  execFileSync('umoci', ['repack', '--image', ref, unpacked]);
  execFileSync('umoci', ['config', '--image', ref, '--config.entrypoint', `${AGENT_DIR}/node`]);
  rmSync(unpacked, { recursive: true, force: true });
  return ref;
}

/** Copies an image from an OCI layout (`<layout>:<tag>`) to a registry reference, with skopeo. */
export function pushImage(layoutRef: string, destination: string, options: { tlsVerify?: boolean } = {}): void {
  execFileSync('skopeo', ['copy', '--quiet', `--dest-tls-verify=${options.tlsVerify ?? true}`, `oci:${layoutRef}`, `docker://${destination}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}
