// The npm packages as a stranger gets them: `npm pack` the SDK and the widget, install the two
// tarballs into an empty project, type-check a consumer under `strict`, build it with vite, and
// open the built page against a real server. Installs prefer npm's cache (the repository's own
// install filled it), so this stays well under a minute.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { launchBrowser, startServerProcess, typeCommand, waitForScreen } from '../harness.mjs';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const version = (name) => JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version;

let dir;
let tarballs;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ix-consumer-'));
  const packed = await run('npm', ['pack', '--json', '--pack-destination', dir, '-w', '@ix-playground/sdk', '-w', '@ix-playground/widget'], { cwd: root });
  tarballs = Object.fromEntries(JSON.parse(packed.stdout).map((p) => [p.name, p]));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('each tarball ships its README, LICENSE, types, sources and (widget) custom-elements.json and CDN build', () => {
  for (const name of ['@ix-playground/sdk', '@ix-playground/widget']) {
    const files = tarballs[name].files.map((f) => f.path);
    for (const want of ['README.md', 'LICENSE', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'src/index.ts'])
      assert.ok(files.includes(want), `${name} lacks ${want}`);
    assert.deepEqual(
      files.filter((f) => /\.test\./.test(f)),
      [],
      `${name} ships tests`,
    );
  }
  const widget = tarballs['@ix-playground/widget'].files.map((f) => f.path);
  for (const want of ['dist/custom-elements.json', 'dist/cdn/ix-playground.js', 'dist/react.js', 'dist/react-jsx.d.ts', 'src/generated/xterm-css.ts'])
    assert.ok(widget.includes(want), `widget lacks ${want}`);
  const pkg = JSON.parse(readFileSync(path.join(root, 'packages/widget/package.json'), 'utf8'));
  assert.equal(pkg.customElements, 'dist/custom-elements.json');
  // The manifest is generated from the JSDoc: tags, attributes, events, parts.
  const manifest = JSON.parse(readFileSync(path.join(root, 'packages/widget', pkg.customElements), 'utf8'));
  const elements = manifest.modules.flatMap((m) => m.declarations ?? []).filter((d) => d.customElement);
  assert.deepEqual(elements.map((e) => e.tagName).sort(), ['ix-playground', 'ix-run', 'ix-tasks']);
  const playground = elements.find((e) => e.tagName === 'ix-playground');
  assert.deepEqual(
    playground.events.map((e) => e.name),
    ['ix-status', 'ix-task', 'ix-progress', 'ix-complete', 'ix-error', 'ix-saved'],
  );
  for (const attr of ['server', 'playground', 'protocol', 'connect'])
    assert.ok(
      playground.attributes.some((a) => a.name === attr),
      `attribute ${attr}`,
    );
  assert.ok(playground.cssParts.some((p) => p.name === 'terminal'));
  assert.ok(!playground.members.some((m) => m.name.startsWith('#')), 'no private members');
  assert.equal(pkg.dependencies['@ix-playground/sdk'], `^${version('@ix-playground/sdk')}`);
  // Source maps carry their sources, and the CDN build's lead to the TypeScript.
  const map = JSON.parse(readFileSync(path.join(root, 'packages/widget/dist/playground.js.map'), 'utf8'));
  assert.equal(map.sourcesContent?.length, map.sources.length);
  const cdnMap = JSON.parse(readFileSync(path.join(root, 'packages/widget/dist/cdn/ix-playground.js.map'), 'utf8'));
  assert.deepEqual(cdnMap.sources, ['../../src/cdn.ts']);
  assert.ok(cdnMap.sourcesContent[0].includes("defineElement('ix-playground', IxPlayground)"));
});

test('installed alone from the tarballs, the packages type-check under strict, build with vite and boot a shell', { timeout: 240_000 }, async (t) => {
  const project = path.join(dir, 'app');
  mkdirSync(path.join(project, 'src'), { recursive: true });
  const tgz = (name) => `file:${path.join(dir, tarballs[name].filename)}`;
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({
      name: 'consumer',
      private: true,
      type: 'module',
      dependencies: {
        '@ix-playground/sdk': tgz('@ix-playground/sdk'),
        '@ix-playground/widget': tgz('@ix-playground/widget'),
        react: version('react'),
        'react-dom': version('react-dom'),
        ws: version('ws'),
      },
      devDependencies: {
        vite: version('vite'),
        typescript: version('typescript'),
        '@types/node': version('@types/node'),
        '@types/react': version('@types/react'),
        '@types/react-dom': version('@types/react-dom'),
        '@types/ws': version('@types/ws'),
      },
    }),
  );
  writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'Bundler',
        lib: ['ES2022', 'DOM', 'DOM.Iterable'],
        types: ['node'],
        jsx: 'react-jsx',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
      },
      include: ['src'],
    }),
  );
  writeFileSync(
    path.join(project, 'index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><title>consumer</title></head><body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body></html>',
  );
  // A React 19 page: the @lit/react wrapper, a typed event prop and a ref to the element.
  writeFileSync(
    path.join(project, 'src/main.tsx'),
    `import { useRef } from 'react';
import { createRoot } from 'react-dom/client';
import { IxPlayground } from '@ix-playground/widget/react';
import type { IxPlayground as IxPlaygroundElement } from '@ix-playground/widget/elements';

function App() {
  const ref = useRef<IxPlaygroundElement>(null);
  return (
    <IxPlayground
      ref={ref}
      playground="hello"
      connect="eager"
      onIxStatus={(e) => {
        document.body.dataset.status = e.detail.status;
        if (e.detail.status === 'ready') ref.current?.run('echo from-react-$((40+2))');
      }}
    />
  );
}
createRoot(document.getElementById('root')!).render(<App />);
`,
  );
  // Not built, only type-checked: the SDK in Node with ws, and DOM events on document and window.
  writeFileSync(
    path.join(project, 'src/node.ts'),
    `import { connect } from '@ix-playground/sdk';
import WebSocket from 'ws';
import '@ix-playground/widget';

export async function main(): Promise<void> {
  const session = await connect({ server: 'http://localhost:8080', playground: 'hello', WebSocket });
  session.on('output', ({ data }) => process.stdout.write(data));
  session.on('task', (task) => console.log(task.id, task.state));
  session.write(0, 'ls -la\\r');
  document.addEventListener('ix-task', (e) => console.log(e.detail.id, e.detail.state));
  window.addEventListener('ix-progress', (e) => console.log(e.detail.done, e.detail.total));
}
`,
  );

  const started = Date.now();
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, timeout: 180_000 });
  t.diagnostic(`npm install from the tarballs: ${Date.now() - started} ms`);

  const tsc = path.join(project, 'node_modules/.bin/tsc');
  await run(tsc, ['-p', project], { cwd: project }).catch((error) => assert.fail(`tsc --strict failed:\n${error.stdout}${error.stderr}`));

  const vite = path.join(project, 'node_modules/.bin/vite');
  await run(vite, ['build', '--logLevel', 'warn'], { cwd: project, timeout: 120_000 }).catch((error) =>
    assert.fail(`vite build failed:\n${error.stdout}${error.stderr}`),
  );
  const assets = readdirSync(path.join(project, 'dist/assets')).filter((f) => f.endsWith('.js'));
  const withXterm = assets.filter((f) => readFileSync(path.join(project, 'dist/assets', f), 'utf8').includes('Terminal requires a parent element'));
  const entry = /src="\/assets\/([^"]+\.js)"/.exec(readFileSync(path.join(project, 'dist/index.html'), 'utf8'))[1];
  assert.equal(withXterm.length, 1, 'xterm.js is in one chunk');
  assert.notEqual(withXterm[0], entry, 'xterm.js is split off the entry chunk');

  // The built page, served by a real server, boots a shell and types into it through the ref.
  const server = await startServerProcess({ IX_STATIC: path.join(project, 'dist') });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/`, { waitUntil: 'load' });
    await page.waitForFunction(() => document.body.dataset.status === 'ready', { timeout: 20_000 });
    await waitForScreen(page, /^from-react-42$/m);
    await typeCommand(page, 'echo typed-$((6*7))');
    await waitForScreen(page, /^typed-42$/m);
  } finally {
    await browser.close();
    await server.stop();
  }
});
