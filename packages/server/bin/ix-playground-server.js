#!/usr/bin/env node
// The `ix-playground-server` command. A committed file, so npm links it on install even before
// the TypeScript is built; it runs the built server (packages/server/dist).
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('ix-playground-server is not built yet: run "npm run build" in the repository first');
  process.exit(1);
}
await import(main.href);
