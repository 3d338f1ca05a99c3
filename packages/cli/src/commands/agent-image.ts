import os from 'node:os';
import path from 'node:path';
import { buildAgentImage, pushImage } from '@ix-playground/server';
import type { Command } from '../command.js';
import { ExitCode, UsageError } from '../exit-codes.js';

/** `ix-playground agent-image`: build the image the kubernetes driver's gateways and agents run, and push it. */
export const agentImage: Command = {
  summary: 'build the Kubernetes gateway/agent image (an OCI layout) and push it to a registry',
  help: `usage: ix-playground agent-image [--push REF] [--dir DIR] [--insecure]

Builds the one image the kubernetes driver needs (docs/kubernetes.md): this server, its
dependencies and its own Node.js under /ix, which the gateway Deployment runs and every session's
pod copies in through an init container. The image is an OCI layout in DIR, tagged with a digest
of its contents, so a changed server is a new tag. Needs umoci; --push needs skopeo.

Prints the layout reference (DIR:TAG), or with --push the reference pushed (REF:TAG).

options:
  --push REF    push to this repository, e.g. registry.example.com/ix-playground/agent
  --dir DIR     where the layout is kept (default: $TMPDIR/ix-playground-agent-image)
  --insecure    push over plain HTTP, without TLS (a registry on localhost, say)
  -h, --help    this help`,
  options: { push: { type: 'string' }, dir: { type: 'string' }, insecure: { type: 'boolean' } },
  run(values, positionals) {
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const push = values.push as string | undefined;
    if (push !== undefined && (!push || push.includes('@') || /:[^/]*$/.test(push)))
      throw new UsageError(`--push takes a repository without tag or digest (the tag is the image's digest), got "${push}"`);
    const dir = (values.dir as string | undefined) ?? path.join(os.tmpdir(), 'ix-playground-agent-image');
    const layout = needs('umoci', () => buildAgentImage(dir));
    if (!push) {
      console.log(layout);
      return Promise.resolve(ExitCode.Ok);
    }
    const ref = `${push}:${layout.split(':').pop()}`;
    needs('skopeo', () => pushImage(layout, ref, { tlsVerify: !values.insecure }));
    console.log(ref);
    return Promise.resolve(ExitCode.Ok);
  },
};

/** Runs `work`, which runs `program`: a missing program is said as such, with the package to install. */
function needs<T>(program: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${program} is not installed (Debian: apt-get install ${program})`);
    const stderr = (error as { stderr?: Buffer | string }).stderr?.toString().trim();
    throw new Error(`${program} failed: ${stderr || (error as Error).message}`);
  }
}
