// custom-elements.json (editors, docs sites and Storybook read it) from the elements' JSDoc:
// `npm run build` runs `cem analyze` here; package.json's `customElements` points at the output.
export default {
  globs: ['src/**/*.ts'],
  exclude: ['src/**/*.test.ts', 'src/generated/**', 'src/react.ts', 'src/react-jsx.ts', 'src/define-element.ts'],
  outdir: 'dist',
  packagejson: false, // package.json names the file already; a build must not rewrite it
  litelement: true,
  plugins: [
    {
      name: 'ix-public-api-only',
      // Private (#) members are no one's API; events are the @event tags (a dispatchEvent of an
      // event class is listed there already, and would show up again without a name).
      packageLinkPhase({ customElementsManifest }) {
        for (const mod of customElementsManifest.modules) {
          for (const decl of mod.declarations ?? []) {
            if (decl.members) decl.members = decl.members.filter((m) => m.privacy !== 'private' && !m.name.startsWith('#'));
            if (decl.events) decl.events = decl.events.filter((e) => e.name);
          }
        }
      },
    },
  ],
};
