// The CDN build (tsc -b has emitted each package's ES modules into dist/ first): a small eager
// entry, packages/widget/dist/cdn/ix-playground.js, plus content-hashed chunks beside it that
// the browser fetches relative to the entry's URL when they are needed:
//   core.[hash].js      lit and <ix-playground> (the entry only re-exports it, so a page that
//                       loads the entry under another URL, e.g. with ?v=2, still shares one copy)
//   terminal.[hash].js  the terminal controller, its parts and the SDK session, when a playground boots
//   xterm.[hash].js     xterm.js, its fit addon and its CSS, at the same moment, in parallel
//   ttyd.[hash].js      the ttyd transport, only for protocol="ttyd"
//   shared.[hash].js    sharing one session between elements (the session attribute), only for
//                       pages that do
//   preview, offer,     the web preview panels, the offer to resume a saved playground and the
//   strip               toolbar's strip (a port to preview, save and stop?), when a reader opens a
//                       preview, comes back to a playground they saved, or opens the strip
//   tasks, run          <ix-tasks> and <ix-run> (and find-playground, which both use), when the
//                       page uses them
//   bridge.js           a second entry: enableParentBridge, for pages shown in an iframe
// The server sends hashed names with a one-year immutable Cache-Control and the entry with no-cache.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { minify } from 'terser';

const OUT = 'packages/widget/dist/cdn';
rmSync(OUT, { recursive: true, force: true }); // chunks of earlier builds have other hashes

const CHUNKS = [
  ['xterm', /node_modules\/@xterm\/|widget\/dist\/generated\/xterm-css\.js$/],
  ['ttyd', /sdk\/dist\/ttyd-session\.js$/],
  ['progress', /sdk\/dist\/progress-lines\.js$/],
  ['preview', /widget\/dist\/preview-panel\.js$/],
  ['strip', /widget\/dist\/toolbar-strip\.js$/],
  ['offer', /widget\/dist\/resume-offer\.js$/],
  ['shared', /widget\/dist\/shared-(terminals|session)\.js$/],
  [
    'terminal',
    /widget\/dist\/(terminal-(controller|tabs|options)|shown-terminals|preview-tabs|save-and-resume|session-status|strip-question|ticket-store|local-saves|toolbar|xterm-open)\.js$|sdk\/dist\/(?!errors\.js)|node_modules\/(valibot|nanoevents)\//,
  ],
  ['tasks', /widget\/dist\/(tasks|tasks\.styles|markdown)\.js$|node_modules\/lit-html\/directives?\b/],
  ['run', /widget\/dist\/(run|run\.styles)\.js$/],
  ['find-playground', /widget\/dist\/find-playground\.js$/],
  ['core', /node_modules\/(lit|lit-html|lit-element|@lit\/reactive-element)\/|widget\/dist\/|sdk\/dist\/errors\.js$/],
];

/** The chunk of a module: the first of CHUNKS whose pattern matches its path. */
function chunkOf(id) {
  if (/\/widget\/dist\/(cdn|bridge)\.js$/.test(id)) return undefined; // the entries themselves
  return CHUNKS.find(([, pattern]) => pattern.test(id))?.[0];
}

/** Hands rollup the map tsc wrote beside each of our modules, so the CDN maps lead to the TypeScript. */
const tscSourceMaps = {
  name: 'tsc-source-maps',
  load(id) {
    if (!/packages\/(widget|sdk)\/dist\/.*\.js$/.test(id) || !existsSync(`${id}.map`)) return null;
    return { code: readFileSync(id, 'utf8'), map: readFileSync(`${id}.map`, 'utf8') };
  },
};

/**
 * Shortens xterm.js's private members (`_core`, `_renderService`, …: TypeScript privates compiled
 * to `_`-prefixed properties) inside the xterm chunk, 4 KB gzip. Safe because xterm.js and its fit
 * addon, the only code that touches them, are in that one chunk, mangled together; nothing else
 * (our code, tests, pages) uses xterm's private members. Other chunks are not mangled this way:
 * lit's `_$` members cross chunk boundaries.
 */
const mangleXtermPrivates = {
  name: 'mangle-xterm-privates',
  async renderChunk(code, chunk) {
    if (chunk.name !== 'xterm') return null;
    const out = await minify(code, { module: true, ecma: 2020, compress: false, mangle: { properties: { regex: /^_/ } }, sourceMap: true });
    return { code: out.code, map: out.map };
  },
};

export default {
  input: { 'ix-playground': 'packages/widget/dist/cdn.js', bridge: 'packages/widget/dist/bridge.js' },
  output: {
    dir: OUT,
    format: 'es',
    sourcemap: true,
    entryFileNames: '[name].js',
    chunkFileNames: '[name].[hash].js',
    manualChunks: chunkOf,
  },
  plugins: [
    tscSourceMaps,
    nodeResolve({ browser: true }),
    mangleXtermPrivates,
    terser({ module: true, ecma: 2020, compress: { passes: 2 }, format: { comments: false } }),
  ],
};
