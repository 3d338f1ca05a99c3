// Browser tests: Debian's headless Chromium, TypeScript through esbuild, and a real playground
// server (bwrap sandboxes) started in this process so tests can reach real shells.
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { startServer, configFromEnv } from './packages/server/dist/index.js';
import { chromeArgs, chromePath, freePort } from './test/harness.mjs';

const port = await freePort();
let playgroundServer;
let playgroundsDir;

/**
 * The server's manifest folder for tests: every manifest of PLAYGROUNDS (default
 * examples/playgrounds) plus the test-only ones in packages/widget/test/playgrounds, as symlinks.
 */
function testPlaygrounds(examples) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ix-wtr-playgrounds-'));
  for (const from of [examples, path.resolve('packages/widget/test/playgrounds')]) {
    for (const f of readdirSync(from).filter((f) => /\.ya?ml$/.test(f))) symlinkSync(path.join(from, f), path.join(dir, f));
  }
  return dir;
}

/** Starts the playground server with the test page's origin allowed, and tells pages its URL. */
const playgroundServerPlugin = {
  name: 'ix-playground-server',
  async serverStart() {
    const config = configFromEnv({ PLAYGROUNDS: process.env.PLAYGROUNDS });
    playgroundsDir = testPlaygrounds(config.playgrounds);
    playgroundServer = await startServer({
      ...config,
      playgrounds: playgroundsDir,
      port: 0,
      staticDir: '',
      origins: [`http://localhost:${port}`, `http://127.0.0.1:${port}`],
      // Every test file's sessions linger detached for graceMs after their page goes.
      maxSessions: 100,
      maxSessionsPerClient: 100,
      prebuildImages: false,
      graceMs: 30_000,
    });
  },
  async serverStop() {
    await playgroundServer?.close();
    if (playgroundsDir) rmSync(playgroundsDir, { recursive: true, force: true });
  },
  serve(context) {
    if (context.path === '/__ix/server') return { body: JSON.stringify({ url: playgroundServer.url }), type: 'json' };
    if (context.path === '/__ix/sessions') return { body: JSON.stringify({ count: playgroundServer.sessions.size }), type: 'json' };
    return undefined;
  },
};

export default {
  files: ['packages/widget/src/**/*.test.ts'],
  nodeResolve: { exportConditions: ['browser', 'development'] },
  port,
  concurrency: 1,
  testFramework: { config: { timeout: 20_000 } },
  plugins: [esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'packages/widget/tsconfig.json' }), playgroundServerPlugin],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: chromePath,
        headless: true,
        args: chromeArgs,
      },
    }),
  ],
};
