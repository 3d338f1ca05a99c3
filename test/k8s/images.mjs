// The images the Kubernetes tests run, built here and pushed to the test cluster's registry once
// per test process: the agent (which is also the gateway) and a small machine image of host
// programs (bash and the few tools the tests use).
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pushImage } from '../../packages/server/dist/sandbox/kubernetes/agent-image.js';
import { tinyLayout } from '../../packages/server/dist/testing/oci-layout.js';

let pushed;

/** `{ agent, machine }`: registry references in `registry` (IX_K8S_REGISTRY). */
export function testImages(registry = process.env.IX_K8S_REGISTRY) {
  if (pushed) return pushed;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ix-k8s-images-'));
  // As an operator makes it (docs/kubernetes.md).
  const cli = new URL('../../packages/cli/dist/main.js', import.meta.url).pathname;
  const agent = execFileSync(
    process.execPath,
    [cli, 'agent-image', '--push', `${registry}/ix-playground/agent`, '--insecure', '--dir', path.join(dir, 'agent')],
    {
      encoding: 'utf8',
    },
  ).trim();
  const programs = [
    '/bin/bash',
    '/bin/cat',
    '/bin/sleep',
    '/usr/bin/seq',
    '/bin/stty',
    '/usr/bin/touch',
    '/bin/rm',
    '/usr/bin/socat',
    '/bin/tar',
    '/usr/bin/printf',
    '/bin/ls',
    '/usr/bin/head',
  ];
  const layout = tinyLayout(path.join(dir, 'machine'), programs, 'machine');
  const machine = `${registry}/ix-playground/test-machine:1`;
  pushImage(`${layout}:machine`, machine, { tlsVerify: false });
  pushed = { agent, machine };
  return pushed;
}
