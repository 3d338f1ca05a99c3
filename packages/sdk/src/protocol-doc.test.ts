// docs/protocol.md is the wire contract people implement from; protocol.ts is what the SDK and the
// server actually speak. These tests fail when the two disagree about the close codes.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CloseCode, RETRYABLE_CLOSE_CODES } from './protocol.js';

/** The monorepo's root: the nearest folder above this file whose package.json lists workspaces. */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && Array.isArray((JSON.parse(readFileSync(manifest, 'utf8')) as { workspaces?: unknown }).workspaces)) return dir;
    const parent = path.dirname(dir);
    assert.notEqual(parent, dir, `no package.json with workspaces above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** One row of the close-code table as the docs write it. */
interface DocumentedCode {
  code: number;
  /** The `CloseCode` key in backticks, or a description such as `(normal)` for a standard code. */
  name: string;
  retry: string;
}

/** The rows of the first table under the "Close codes" heading, keyed by the header's column names. */
function documentedCloseCodes(markdown: string): DocumentedCode[] {
  const lines = markdown.split('\n');
  const heading = lines.findIndex((line) => /^##\s+(\d+\.\s+)?Close codes\s*$/.test(line));
  assert.ok(heading >= 0, 'docs/protocol.md has a "Close codes" section');
  const start = lines.findIndex((line, i) => i > heading && line.startsWith('|'));
  const next = lines.findIndex((line, i) => i > heading && line.startsWith('## '));
  assert.ok(start >= 0 && (next < 0 || start < next), 'the "Close codes" section has a table');
  const rows: string[][] = [];
  for (let i = start; i < lines.length && lines[i]!.startsWith('|'); i++) {
    rows.push(
      lines[i]!.split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  const [header, separator, ...body] = rows;
  assert.ok(header && separator?.every((cell) => /^:?-+:?$/.test(cell)), 'the table has a header row and a separator');
  const column = (name: string): number => {
    const index = header.indexOf(name);
    assert.ok(index >= 0, `the close-code table has a "${name}" column (it has: ${header.join(', ')})`);
    return index;
  };
  const [code, name, retry] = [column('Code'), column('Name'), column('Retry')];
  return body.map((cells) => {
    assert.match(cells[code] ?? '', /^\d{4}$/, `a close code is four digits: | ${cells.join(' | ')} |`);
    return { code: Number(cells[code]), name: cells[name] ?? '', retry: cells[retry] ?? '' };
  });
}

const documented = documentedCloseCodes(readFileSync(path.join(repoRoot(), 'docs', 'protocol.md'), 'utf8'));

describe('docs/protocol.md close codes', () => {
  test('the table lists every CloseCode with its number and name, and no code the module does not have', () => {
    const application = documented.filter((row) => row.name.startsWith('`'));
    for (const row of application) assert.match(row.name, /^`\w+`$/, `the name of ${row.code} is one identifier in backticks`);
    const inDocs = application.map((row) => `${row.code} ${row.name.slice(1, -1)}`).sort();
    const inModule = Object.entries(CloseCode)
      .map(([name, code]) => `${code} ${name}`)
      .sort();
    assert.deepEqual(inDocs, inModule, 'docs/protocol.md §Close codes and CloseCode in packages/sdk/src/protocol.ts differ');
  });

  test('a row without a CloseCode name is a standard WebSocket code, and no code is listed twice', () => {
    for (const row of documented.filter((r) => !r.name.startsWith('`'))) {
      assert.ok(row.code < 4000, `${row.code} is an application code, so its name must be its CloseCode key in backticks (found "${row.name}")`);
    }
    const codes = documented.map((row) => row.code);
    assert.deepEqual(
      codes.filter((code, i) => codes.indexOf(code) !== i),
      [],
      'codes listed twice',
    );
  });

  test('the Retry column says yes exactly for the codes in RETRYABLE_CLOSE_CODES', () => {
    for (const row of documented) {
      assert.equal(/^yes\b/.test(row.retry), RETRYABLE_CLOSE_CODES.includes(row.code), `Retry of ${row.code} ${row.name} is "${row.retry}"`);
    }
  });
});
