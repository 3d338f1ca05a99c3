#!/usr/bin/env node
import { configFromEnv, isLoopback } from './config.js';
import { startServer } from './server.js';

/** The reference server's command line: configured by environment variables (docs/operating.md). */
async function main(): Promise<void> {
  const config = configFromEnv();
  const server = await startServer(config);
  console.log(`ix-playground: ${server.limits}`);
  if (!config.tokens && !isLoopback(config.host)) {
    console.warn(
      `ix-playground: anyone who can reach ${config.host}:${config.port} may start sessions (up to the per-client limits); set IX_TOKEN_SECRET to require signed session tokens (docs/operating.md)`,
    );
  }
  console.log(
    `ix-playground server on ${server.url} (playgrounds: ${[...server.manifests.keys()].join(', ') || 'none'}; allowed origins: ${server.origins.allowed.join(' ')})`,
  );
  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(1);
    stopping = true;
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: Error) => {
  console.error(`ix-playground: ${error.message}`);
  process.exit(1);
});
