#!/usr/bin/env node
import { configFromEnv } from './config.js';
import { runServer } from './run-server.js';

/** The reference server's command line: configured by environment variables (docs/operating.md). */
runServer(configFromEnv()).catch((error: Error) => {
  console.error(`ix-playground: ${error.message}`);
  process.exit(1);
});
