// Lint for every package, the tests and the scripts: ESLint's and typescript-eslint's recommended
// rules, with unused names allowed when they start with an underscore. Formatting is Prettier's.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench/**', 'packages/widget/custom-elements.json'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      'no-unused-vars': 'off',
    },
  },
  // The layers (docs/drivers.md): only sandbox drivers use the local machinery (processes, ptys,
  // cgroups, disks); the SDK touches no DOM, so it runs in Node; the widget never reaches into the
  // server, nor the SDK into either.
  {
    files: ['packages/server/src/**/*.ts'],
    ignores: ['packages/server/src/sandbox/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['**/sandbox/local/*'], message: 'sandbox/local/ is for sandbox drivers: go through the driver contract (sandbox/sandbox.ts)' }],
        },
      ],
    },
  },
  {
    files: ['packages/sdk/src/**/*.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...['document', 'window', 'navigator', 'location', 'localStorage', 'sessionStorage', 'customElements', 'HTMLElement'].map((name) => ({
          name,
          message: 'the SDK runs in browsers and in Node: no DOM',
        })),
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@ix-playground/widget*', '@ix-playground/server*', '@ix-playground/cli*', 'lit', 'lit/*', '@xterm/*'],
              message: 'the SDK depends on no DOM, framework or other package',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/widget/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@ix-playground/server*', '@ix-playground/cli*', '**/server/src/**', '**/server/dist/**'],
              message: 'the widget talks to the server only over the wire (through the SDK)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**', '**/testing/**', 'test/**'],
    languageOptions: { globals: { ...globals.mocha } },
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
