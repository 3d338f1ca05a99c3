// TypeScript (tsc -b) emits each package's ESM modules and .d.ts files into dist/; rollup then
// bundles the widget, lit, xterm.js and the SDK into one self-contained file for a
// <script type="module"> tag: packages/widget/dist/cdn/ix-playground.js.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

export default {
  input: 'packages/widget/dist/cdn.js',
  output: {
    file: 'packages/widget/dist/cdn/ix-playground.js',
    format: 'es',
    sourcemap: true,
    inlineDynamicImports: true,
  },
  plugins: [nodeResolve({ browser: true }), terser({ format: { comments: false } })],
};
