import path from 'node:path';
import { configFromEnv, runServer } from '@ix-playground/server';
import type { Command } from '../command.js';
import { UsageError } from '../exit-codes.js';

/** Which flag sets which environment variable (the environment is still honoured; flags win). */
const FLAGS: Record<string, string> = {
  port: 'PORT',
  host: 'HOST',
  origins: 'IX_ORIGINS',
  static: 'IX_STATIC',
  sandbox: 'IX_SANDBOX',
  'max-sessions': 'IX_MAX_SESSIONS',
  'max-sessions-per-client': 'IX_MAX_SESSIONS_PER_CLIENT',
  grace: 'IX_GRACE',
  'warm-pool': 'IX_WARM_POOL',
  'preview-port': 'IX_PREVIEW_PORT',
  'admin-token': 'IX_ADMIN_TOKEN',
};

/** `ix-playground serve [DIR]`: the reference server with a folder of manifests. */
export const serve: Command = {
  summary: 'run the playground server with a folder of manifests',
  help: `usage: ix-playground serve [DIR] [options]

Runs the playground server with the manifests in DIR (default: $PLAYGROUNDS, or examples/playgrounds).
Every option sets the environment variable in brackets; the environment is honoured too
(docs/operating.md lists them all).

options:
  --port N                  port to listen on [PORT, default 8080]
  --host ADDR               address to bind [HOST, default 127.0.0.1]
  --origins A,B             page origins allowed to use the server [IX_ORIGINS]
  --static DIR              folder served at / ('' for none) [IX_STATIC, default examples]
  --sandbox NAME            sandbox driver: bwrap, host, … [IX_SANDBOX, default bwrap]
  --max-sessions N          sessions on this server [IX_MAX_SESSIONS, default 32]
  --max-sessions-per-client N   [IX_MAX_SESSIONS_PER_CLIENT, default 4]
  --grace DURATION          how long a session without clients lives on [IX_GRACE, default 5m]
  --warm-pool N             ready sessions kept per playground, 0 to 16 [IX_WARM_POOL, default 0]
  --preview-port N|off      web-preview port [IX_PREVIEW_PORT, default PORT + 1]
  --admin-token TOKEN       turns on the admin API for ls and stop [IX_ADMIN_TOKEN]
  --no-watch                do not reload manifests when they are saved [IX_WATCH=0]
  -h, --help                this help`,
  options: {
    ...Object.fromEntries(Object.keys(FLAGS).map((name) => [name, { type: 'string' as const }])),
    'no-watch': { type: 'boolean' },
  },
  async run(values, positionals) {
    if (positionals.length > 1) throw new UsageError(`serve takes one folder, got ${positionals.length}`);
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [flag, variable] of Object.entries(FLAGS)) {
      const value = values[flag];
      if (typeof value === 'string') env[variable] = value;
    }
    if (values['no-watch']) env.IX_WATCH = '0';
    if (positionals[0]) env.PLAYGROUNDS = path.resolve(positionals[0]);
    await runServer(configFromEnv(env));
    await new Promise(() => {}); // runs until a signal stops the server (it exits the process)
    return 0;
  },
};
