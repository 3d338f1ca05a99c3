import { isLoopback, type ServerConfig } from './config.js';
import { startServer, type PlaygroundServer } from './server.js';

/**
 * Runs the server as a program: starts it, says on stdout what it serves and which limits this
 * host enforces, and stops cleanly on SIGINT or SIGTERM (a second signal exits at once). Both
 * `ix-playground-server` and `ix-playground serve` are this.
 */
export async function runServer(config: ServerConfig): Promise<PlaygroundServer> {
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
  return server;
}
