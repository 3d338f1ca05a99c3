// Commands depend on the Command contract, never on the entry point that lists them: cli.ts
// imports every command, so a command importing cli.ts would be a cycle.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';

const commands = new URL('../src/commands/', import.meta.url);

test('no command imports the CLI entry point (cli.ts); they take the Command type from command.ts', () => {
  const files = readdirSync(commands).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length > 0, `commands found in ${commands.pathname}`);
  for (const file of files) {
    const source = readFileSync(new URL(file, commands), 'utf8');
    assert.doesNotMatch(source, /from\s+['"]\.\.\/cli\.js['"]/, `${file} imports ../cli.js`);
  }
});
