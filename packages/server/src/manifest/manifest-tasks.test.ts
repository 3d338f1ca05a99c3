import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManifestError } from '../errors.js';
import { parseManifest } from './manifest.js';

const head = ['name: lab', 'title: Lab', 'tasks:', '  - id: keep-notes', '    title: Keep notes.txt', '    check: test -f ~/notes.txt'];

/** The ManifestError that parsing `lines` must raise. */
function refusal(lines: string[]): ManifestError {
  try {
    parseManifest(lines.join('\n') + '\n', 'lab.yaml');
  } catch (error) {
    assert.ok(error instanceof ManifestError, `expected a ManifestError, got ${String(error)}`);
    return error;
  }
  assert.fail('the manifest was accepted but should have been refused');
}

describe('a task’s fail check', () => {
  test('is optional, and when given carries its check script and message', () => {
    assert.equal(parseManifest(head.join('\n'), 'lab.yaml').tasks[0]?.fail, undefined);
    const manifest = parseManifest(
      [...head, '    fail:', '      check: test ! -e ~/notes.txt', '      message: You deleted notes.txt; run `restore-notes`.'].join('\n'),
      'lab.yaml',
    );
    assert.deepEqual(manifest.tasks[0]?.fail, { check: 'test ! -e ~/notes.txt', message: 'You deleted notes.txt; run `restore-notes`.' });
  });

  test('without a message is refused with file, line and field', () => {
    const error = refusal([...head, '    fail:', '      check: "false"']);
    assert.equal(error.line, 8);
    assert.equal(error.field, 'tasks.0.fail.message');
    assert.equal(error.message, 'lab.yaml:8: tasks.0.fail.message: is required');
  });

  test('with an unknown key (a typo) is refused at that key', () => {
    const error = refusal([...head, '    fail:', '      check: "false"', '      message: no', '      mesage: typo']);
    assert.equal(error.line, 10);
    assert.equal(error.field, 'tasks.0.fail.mesage');
    assert.match(error.reason, /unknown key "mesage"/);
  });

  test('given as a bare script instead of {check, message} is refused with the expected type', () => {
    const error = refusal([...head, '    fail: test -e ~/oops']);
    assert.equal(error.line, 7);
    assert.equal(error.field, 'tasks.0.fail');
    assert.match(error.reason, /Object/i);
  });
});

describe('text that reaches the page', () => {
  test('a task title, hint or terminal name longer than the protocol carries is refused at load, not by the client', () => {
    const long = (n: number) => 'x'.repeat(n);
    const title = refusal(['name: lab', 'title: Lab', 'tasks:', '  - id: a', `    title: ${long(1001)}`, '    check: "true"']);
    assert.equal(title.message, 'lab.yaml:5: tasks.0.title: must be at most 1000 characters');
    const hint = refusal(['name: lab', 'title: Lab', 'tasks:', '  - id: a', '    title: A', `    hint: ${long(10_001)}`, '    check: "true"']);
    assert.equal(hint.message, 'lab.yaml:6: tasks.0.hint: must be at most 10000 characters');
    const terminal = refusal(['name: lab', 'title: Lab', 'terminals:', `  - name: ${long(201)}`]);
    assert.equal(terminal.message, 'lab.yaml:4: terminals.0.name: must be at most 200 characters');
    // At the limits, all is well.
    const ok = parseManifest(
      [
        'name: lab',
        'title: Lab',
        'terminals:',
        `  - name: ${long(200)}`,
        'tasks:',
        '  - id: a',
        `    title: ${long(1000)}`,
        `    hint: ${long(10_000)}`,
        '    check: "true"',
      ].join('\n'),
      'lab.yaml',
    );
    assert.equal(ok.tasks[0]?.hint?.length, 10_000);
  });
});
