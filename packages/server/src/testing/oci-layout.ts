// A tiny OCI image for tests, made the way an operator would (umoci init, new, unpack, fill,
// repack): host programs and the libraries they load, so tests need no registry and no download.
// Not shipped.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * Makes an image layout in `dir`/layout tagged `tag` whose root holds `programs` (host paths;
 * the first is also /bin/sh) with their libraries, and /root, /etc and /tmp. Answers the layout.
 */
export function tinyLayout(dir: string, programs: string[], tag = 'tiny'): string {
  const layout = path.join(dir, 'layout');
  const bundle = path.join(dir, 'bundle');
  execFileSync('umoci', ['init', '--layout', layout]);
  execFileSync('umoci', ['new', '--image', `${layout}:${tag}`]);
  execFileSync('umoci', ['unpack', '--image', `${layout}:${tag}`, bundle]);
  const rootfs = path.join(bundle, 'rootfs');
  for (const dirName of ['bin', 'root', 'etc', 'tmp']) mkdirSync(path.join(rootfs, dirName), { recursive: true });
  const copy = (from: string, to = from) => {
    mkdirSync(path.dirname(path.join(rootfs, to)), { recursive: true });
    if (!existsSync(path.join(rootfs, to))) copyFileSync(from, path.join(rootfs, to));
  };
  const [shell = '/bin/dash'] = programs;
  copy(shell, '/bin/sh');
  for (const program of programs) {
    copy(program);
    const libraries = execFileSync('ldd', [program], { encoding: 'utf8' }).match(/\/\S+/g) ?? [];
    for (const library of libraries) copy(library);
  }
  execFileSync('umoci', ['repack', '--image', `${layout}:${tag}`, bundle]);
  rmSync(bundle, { recursive: true, force: true });
  return layout;
}
