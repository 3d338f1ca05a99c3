// The mount list a bwrap sandbox's security rests on, read as bwrap will read it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LEARNER, bwrapArgs, tmpfsSize, type SystemEntry } from './bwrap-args.js';

const system: SystemEntry[] = [{ bind: '/usr' }, { symlink: '/bin', target: 'usr/bin' }, { symlink: '/lib', target: 'usr/lib' }];
const paths = { home: '/srv/s1/home', passwd: '/srv/s1/passwd', group: '/srv/s1/group', go: '/srv/s1/go' };
const limits = { memory: 256 * 1024 ** 2, pids: 64, cpu: 100, disk: 64 * 1024 ** 2, network: false };

/** The options before `--`, as [option, ...operands] in order. */
function options(args: string[]): string[][] {
  const arity: Record<string, number> = {
    '--ro-bind': 2,
    '--bind': 2,
    '--symlink': 2,
    '--tmpfs': 1,
    '--size': 1,
    '--proc': 1,
    '--dev': 1,
    '--remount-ro': 1,
    '--chdir': 1,
    '--uid': 1,
    '--gid': 1,
    '--hostname': 1,
  };
  const out: string[][] = [];
  for (let i = 0; i < args.length && args[i] !== '--';) {
    const option = args[i] as string;
    const n = arity[option] ?? 0;
    out.push(args.slice(i, i + 1 + n));
    i += 1 + n;
  }
  return out;
}

describe('bwrap arguments', () => {
  const args = bwrapArgs({ hostname: 'lab', limits }, paths, system, 'exec /bin/bash -l');
  const opts = options(args);
  const binds = opts.filter(([o]) => o === '--bind' || o === '--ro-bind');

  test('every namespace is new, the network too, and the sandbox dies with the server', () => {
    assert.ok(opts.some(([o]) => o === '--unshare-all'));
    assert.ok(!opts.some(([o]) => o === '--share-net'), 'no network without the manifest asking');
    assert.ok(opts.some(([o]) => o === '--die-with-parent'));
    assert.deepEqual(
      opts.find(([o]) => o === '--uid'),
      ['--uid', String(LEARNER.uid)],
    );
  });

  test('only the home is writable: the system, /etc and the account files are read-only binds', () => {
    assert.deepEqual(
      binds.filter(([o]) => o === '--bind'),
      [['--bind', paths.home, LEARNER.home]],
    );
    for (const [, from, to] of binds.filter(([o]) => o === '--ro-bind'))
      assert.ok(['/usr', '/etc', paths.passwd, paths.group, paths.go].includes(from as string), `${from} → ${to}`);
    assert.deepEqual(
      binds.find(([, , to]) => to === '/etc/passwd'),
      ['--ro-bind', paths.passwd, '/etc/passwd'],
    );
  });

  test("no host folder with secrets or other sessions is bound: not /, /root, /home, /tmp, /var, /run nor the host's /dev", () => {
    for (const [, from] of binds) for (const secret of ['/', '/root', '/home', '/tmp', '/var', '/run', '/dev', '/proc', '/sys']) assert.notEqual(from, secret);
    assert.deepEqual(
      opts.find(([o]) => o === '--dev'),
      ['--dev', '/dev'],
      'a minimal /dev of its own',
    );
    assert.deepEqual(
      opts.find(([o]) => o === '--proc'),
      ['--proc', '/proc'],
      'a /proc of its own pid namespace',
    );
  });

  test('the system is the host’s merged /usr, its links made again', () => {
    assert.deepEqual(
      opts.filter(([o]) => o === '--symlink'),
      [
        ['--symlink', 'usr/bin', '/bin'],
        ['--symlink', 'usr/lib', '/lib'],
      ],
    );
  });

  test('every RAM-backed folder has a size, and together they stay within the memory limit', () => {
    const tmpfs = opts.flatMap((o, i) => (o[0] === '--tmpfs' ? [{ point: o[1], size: opts[i - 1] }] : []));
    assert.deepEqual(
      tmpfs.map((t) => t.point),
      ['/dev/shm', '/tmp', '/run', '/var/tmp'],
    );
    for (const t of tmpfs) assert.equal(t.size?.[0], '--size', `${t.point} is sized`);
    const total = tmpfs.reduce((sum, t) => sum + Number(t.size?.[1]), 0);
    assert.ok(total < limits.memory, `${total} bytes of tmpfs within ${limits.memory}`);
  });

  test('the root and /dev are remounted read-only after the mounts are made', () => {
    const order = opts.map(([o, p]) => `${o} ${p ?? ''}`.trim());
    assert.ok(order.indexOf('--remount-ro /') > order.indexOf(`--bind ${paths.home}`));
    assert.ok(order.includes('--remount-ro /dev'));
  });

  test("network: true shares the host's network (bwrap has no network stack of its own)", () => {
    const open = options(bwrapArgs({ hostname: 'lab', limits: { ...limits, network: true } }, paths, system, 'x'));
    assert.ok(open.some(([o]) => o === '--share-net'));
  });

  test('pid 1 is the given script, run by bash after --', () => {
    assert.deepEqual(args.slice(args.indexOf('--')), ['--', '/bin/bash', '-c', 'exec /bin/bash -l']);
  });

  test('tmpfs sizes never go below 4 MiB', () => {
    assert.equal(tmpfsSize(1024, 1 / 32), String(4 * 1024 * 1024));
  });
});
