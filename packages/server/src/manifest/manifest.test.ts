import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ManifestError } from '../errors.js';
import { checkManifest, loadManifest, loadManifests, parseManifest } from './manifest.js';

const examples = fileURLToPath(new URL('../../../../examples/playgrounds/', import.meta.url));

/** Parses `lines` (joined with newlines) and returns the ManifestError it must raise. */
function refusal(lines: string[], file = 'playgrounds/lab.yaml'): ManifestError {
  try {
    parseManifest(lines.join('\n') + '\n', file);
  } catch (error) {
    assert.ok(error instanceof ManifestError, `expected a ManifestError, got ${String(error)}`);
    return error;
  }
  assert.fail('the manifest was accepted but should have been refused');
}

/** Asserts file, 1-based line and reason, and that the message a person reads carries all three. */
function assertRefusal(error: ManifestError, line: number, reason: RegExp, file = 'playgrounds/lab.yaml'): void {
  assert.equal(error.code, 'manifest');
  assert.equal(error.file, file);
  assert.equal(error.line, line, `expected line ${line} for: ${error.message}`);
  assert.match(error.reason, reason);
  assert.ok(error.message.startsWith(`${file}:${line}: `), error.message);
  assert.match(error.message, reason);
}

const task = (id: string, extra: string[] = []) => [`  - id: ${id}`, `    title: Task ${id}`, '    check: "true"', ...extra];

describe('playground manifests', () => {
  test('the shipped hello.yaml example parses with its values', async () => {
    const manifest = await loadManifest(path.join(examples, 'hello.yaml'));
    assert.equal(manifest.name, 'hello');
    assert.equal(manifest.title, 'Hello, shell');
    assert.deepEqual(manifest.limits, { time: 30 * 60_000, memory: 512 * 1024 ** 2, pids: 64, cpu: 100, disk: 512 * 1024 ** 2, network: false });
    assert.deepEqual(
      manifest.files.map((f) => [f.path, f.mode]),
      [
        ['notes.txt', undefined],
        ['scripts/greet.sh', '755'],
      ],
    );
    assert.match(manifest.files[1]?.content ?? '', /^#!\/bin\/sh\n/);
    assert.match(manifest.init ?? '', /mkdir -p ~\/work/);
    assert.deepEqual(manifest.terminals, [{ name: 'main' }]);
    assert.equal(manifest.tasks.length, 1);
    assert.equal(manifest.tasks[0]?.id, 'make-file');
    assert.deepEqual(manifest.tasks[0]?.needs, []);
    assert.equal(manifest.tasks[0]?.timeout, 10_000);
    assert.match(manifest.tasks[0]?.check ?? '', /test -f ~\/hello.txt/);
  });

  test('every manifest in examples/playgrounds loads', async () => {
    const manifests = await loadManifests(examples);
    assert.ok(manifests.has('hello'));
  });

  test('omitted fields get their documented defaults', () => {
    const manifest = parseManifest(['name: lab', 'title: Lab', 'tasks:', ...task('a')].join('\n'), 'lab.yaml');
    assert.deepEqual(manifest.limits, { time: 3_600_000, memory: 512 * 1024 * 1024, pids: 128, cpu: 100, disk: 512 * 1024 * 1024, network: false });
    assert.deepEqual(manifest.files, []);
    assert.equal(manifest.init, undefined);
    assert.deepEqual(manifest.terminals, [{ name: 'main' }]);
    assert.deepEqual(manifest.tasks, [{ id: 'a', title: 'Task a', needs: [], check: 'true', timeout: 10_000 }]);
  });

  test('a partial limits block keeps the defaults for what it leaves out, and units convert', () => {
    const manifest = parseManifest(
      ['name: lab', 'title: Lab', 'limits: { time: 90s, memory: 1Gi, disk: 2Gi, cpu: 50 }', 'tasks:', ...task('a', ['    timeout: 250ms'])].join('\n'),
      'lab.yaml',
    );
    assert.deepEqual(manifest.limits, { time: 90_000, memory: 1024 ** 3, pids: 128, cpu: 50, disk: 2 * 1024 ** 3, network: false });
    assert.equal(manifest.tasks[0]?.timeout, 250);
  });

  test('a YAML syntax error is refused with the file, its line and the parser reason', () => {
    const error = refusal(['name: lab', 'title: Lab', 'tasks:', '  - id: a', '   title: misindented', '    check: "true"']);
    assertRefusal(error, 5, /indicator|indent/i);
    assert.equal(error.field, undefined);
  });

  test('a key given twice is refused at the second one', () => {
    assertRefusal(refusal(['# comment', 'name: lab', 'title: Lab', 'name: again']), 4, /unique/i);
  });

  test('an unknown key (a typo) is refused at its line, naming the key', () => {
    const error = refusal(['name: lab', '# the title follows', 'titel: Lab', 'title: Lab']);
    assertRefusal(error, 3, /unknown key "titel"/);
    assert.equal(error.field, 'titel');
  });

  test('an unknown key inside a task is refused at its line', () => {
    const error = refusal(['name: lab', 'title: Lab', 'tasks:', ...task('a'), ...task('b', ['    hnit: typo'])]);
    assertRefusal(error, 10, /unknown key "hnit"/);
    assert.equal(error.field, 'tasks.1.hnit');
  });

  test('a missing required field is refused at the line of the object that lacks it', () => {
    const error = refusal(['name: lab', 'title: Lab', 'tasks:', ...task('a'), '  - id: b', '    title: no check here', '  - id: c']);
    assertRefusal(error, 7, /is required/);
    assert.equal(error.field, 'tasks.1.check');
  });

  test('a missing top-level title is refused naming the field', () => {
    const error = refusal(['name: lab', 'tasks: []']);
    assertRefusal(error, 1, /is required/);
    assert.equal(error.field, 'title');
  });

  test('a value of the wrong type is refused at its line', () => {
    const error = refusal(['name: lab', 'title: Lab', 'limits:', '  time: 5m', '  pids: lots']);
    assertRefusal(error, 5, /number/);
    assert.equal(error.field, 'limits.pids');
    assertRefusal(refusal(['name: lab', 'title: Lab', 'tasks: { id: a }']), 3, /array/i);
    assertRefusal(refusal(['name: lab', 'title: Lab', 'limits: { network: "no" }']), 3, /boolean/i);
  });

  test('a duplicate task id is refused at the second task', () => {
    const error = refusal(['name: lab', 'title: Lab', 'tasks:', ...task('a'), ...task('b'), ...task('a')]);
    assertRefusal(error, 10, /duplicate task id "a"/);
    assert.equal(error.field, 'tasks.2.id');
  });

  test('needs naming an unknown task is refused at that entry', () => {
    const error = refusal(['name: lab', 'title: Lab', 'tasks:', ...task('a'), ...task('b', ['    needs:', '      - a', '      - ghost'])]);
    assertRefusal(error, 12, /needs unknown task "ghost"/);
    assert.equal(error.field, 'tasks.1.needs.1');
  });

  test('every problem is reported at once: schema errors and what refers to nothing, in line order', () => {
    const text = [
      'name: lab',
      'title: Lab',
      'limits: { time: soon }',
      'machines:',
      '  - { name: web, image: { debian: bookworm }, colour: blue }',
      'terminals: [{ name: main, machine: db }]',
      'tasks:',
      ...task('a', ['    needs: [nope]', '    hnit: typo']),
      ...task('a'),
    ].join('\n');
    const { manifest, errors } = checkManifest(text, 'lab.yaml');
    assert.equal(manifest, undefined);
    assert.deepEqual(
      errors.map((e) => [e.line, e.field, e.field === 'limits.time' ? 'a bad duration' : e.reason.replace(/ \(.*/, '')]),
      [
        [3, 'limits.time', 'a bad duration'],
        [5, 'machines.0.colour', 'unknown key "colour"'],
        [6, 'terminals.0.machine', 'no machine named "db"'],
        [11, 'tasks.0.needs.0', 'needs unknown task "nope"'],
        [12, 'tasks.0.hnit', 'unknown key "hnit"'],
        [13, 'tasks.1.id', 'duplicate task id "a"'],
      ],
    );
  });

  test('a cycle in needs is refused, showing the cycle', () => {
    const error = refusal(['name: lab', 'title: Lab', 'tasks:', ...task('a', ['    needs: [c]']), ...task('b'), ...task('c', ['    needs: [b, a]'])]);
    assertRefusal(error, 7, /needs form a cycle: a -> c -> a/);
    const self = refusal(['name: lab', 'title: Lab', 'tasks:', ...task('a'), ...task('b', ['    needs: [b]'])]);
    assertRefusal(self, 10, /cycle: b -> b/);
  });

  test('a malformed duration is refused at its line with the expected format', () => {
    const error = refusal(['name: lab', 'title: Lab', 'limits:', '  time: 10 minutes']);
    assertRefusal(error, 4, /must be a duration like 90s, 5m or 1h/);
    assert.equal(error.field, 'limits.time');
    assertRefusal(refusal(['name: lab', 'title: Lab', 'tasks:', ...task('a', ['    timeout: soon'])]), 7, /duration/);
  });

  test('a seeded file may not escape the home folder', () => {
    const error = refusal(['name: lab', 'title: Lab', 'files:', '  - path: ../../etc/cron.d/x', '    content: boom']);
    assertRefusal(error, 4, /inside the home folder/);
    assertRefusal(refusal(['name: lab', 'title: Lab', 'files:', '  - { path: /etc/passwd, content: x }']), 4, /inside the home folder/);
  });

  describe('loading a folder', () => {
    let dir = '';
    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'ix-manifest-test-'));
    });
    after(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test('a bad manifest in the folder is refused with its own file name and line', async () => {
      await writeFile(path.join(dir, 'a.yaml'), 'name: one\ntitle: One\n');
      await writeFile(path.join(dir, 'b.yml'), 'name: two\ntitle: Two\nlimits:\n  memory: lots\n');
      await writeFile(path.join(dir, 'notes.txt'), 'not a manifest: [');
      await assert.rejects(loadManifests(dir), (error: unknown) => {
        assert.ok(error instanceof ManifestError);
        assertRefusal(error, 4, /size/, path.join(dir, 'b.yml'));
        return true;
      });
    });

    test('two manifests with the same name are refused', async () => {
      await writeFile(path.join(dir, 'a.yaml'), 'name: one\ntitle: One\n');
      await writeFile(path.join(dir, 'b.yml'), 'name: one\ntitle: Also one\n');
      await assert.rejects(loadManifests(dir), /already uses the name "one"/);
      await writeFile(path.join(dir, 'b.yml'), 'name: two\ntitle: Two\n');
      assert.deepEqual([...(await loadManifests(dir)).keys()], ['one', 'two']);
    });
  });
});
