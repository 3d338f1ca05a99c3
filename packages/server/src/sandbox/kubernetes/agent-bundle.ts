import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the agent bundle puts itself inside a machine. */
export const AGENT_DIR = '/ix';

/**
 * The command that starts the agent from the bundle, in any Linux image (no Node.js, no shell,
 * another libc, or none): the bundle's own loader runs the bundle's own Node.js with its own
 * libraries.
 */
export function agentCommand(dir = AGENT_DIR): string[] {
  return [`${dir}/lib/ld-linux-x86-64.so.2`, '--library-path', `${dir}/lib`, `${dir}/node`, `${dir}/app/packages/server/dist/agent-main.js`];
}

/** The command that copies the bundle from its image into a shared volume (the init container's). */
export function copyCommand(to: string, dir = AGENT_DIR): string[] {
  const script = `require('fs').cpSync(${JSON.stringify(dir)}, ${JSON.stringify(to)}, { recursive: true, verbatimSymlinks: true })`;
  return [`${dir}/lib/ld-linux-x86-64.so.2`, '--library-path', `${dir}/lib`, `${dir}/node`, '-e', script];
}

/** The server package's folder (its dist and package.json), wherever it is installed. */
function serverPackage(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
}

/** The folder of an installed package, found from `from` as Node finds it (the nearest node_modules up). */
function packageDir(name: string, from: string): string {
  for (let at = from; ; at = path.dirname(at)) {
    const candidate = path.join(at, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return realpathSync(candidate);
    if (path.dirname(at) === at) throw new Error(`cannot find the package ${name} from ${from}`);
  }
}

/**
 * The production dependencies of the package in `dir`, all the way down: each package's folder
 * and where it goes under the bundle's `app/` — where npm put it (`node_modules/a/node_modules/b`
 * for a second version of `b`), or `node_modules/<name>` for a workspace package.
 */
function dependencies(dir: string, seen = new Map<string, string>()): Map<string, string> {
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  for (const name of Object.keys(pkg.dependencies ?? {})) {
    const found = packageDir(name, dir);
    if (seen.has(found)) continue;
    const installed = found.lastIndexOf(`${path.sep}node_modules${path.sep}`);
    seen.set(found, installed >= 0 ? found.slice(installed + 1) : path.join('node_modules', name));
    dependencies(found, seen);
  }
  return seen;
}

/** The shared libraries a program loads, from ldd (the loader included). */
function librariesOf(program: string): string[] {
  return (execFileSync('ldd', [program], { encoding: 'utf8' }).match(/\/\S+/g) ?? []).filter((p) => existsSync(p));
}

/** Copies a package without its tests, native sources, build leftovers and nested packages (those are copied on their own). */
function copyPackage(from: string, to: string): void {
  cpSync(from, to, {
    recursive: true,
    filter: (source) => {
      const rel = path.relative(from, source);
      if (!rel) return true;
      if (/(^|\/)(node_modules|test|testing|deps|third_party|\.git)(\/|$)/.test(rel)) return false;
      if (/(^|\/)prebuilds\/(?!linux-x64)/.test(rel)) return false; // other platforms' native modules
      return !/\.test\.|\.map$|\.d\.ts$|tsbuildinfo$/.test(rel);
    },
  });
}

/**
 * Makes the agent bundle in `out` (emptied first): `node` and the libraries it loads (with their
 * loader), and `app/` with the server's built code and its production dependencies, node-pty's
 * native module included, and the widget's CDN files: the same bundle is a gateway too
 * (`app/packages/server/dist/main.js`). Answers a digest of its contents, for naming the image it becomes.
 */
export function buildAgentBundle(out: string): string {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(path.join(out, 'lib'), { recursive: true });
  const node = realpathSync(process.execPath);
  cpSync(node, path.join(out, 'node'));
  for (const library of librariesOf(node)) cpSync(realpathSync(library), path.join(out, 'lib', path.basename(library)));
  const server = serverPackage();
  const app = path.join(out, 'app');
  copyPackage(server, path.join(app, 'packages', 'server'));
  for (const [dir, place] of dependencies(server)) copyPackage(dir, path.join(app, place));
  // The widget's CDN files, so that the same image serves as a gateway (which serves them at /widget/).
  const widget = path.join(path.dirname(server), 'widget');
  if (existsSync(path.join(widget, 'dist', 'cdn'))) {
    mkdirSync(path.join(app, 'node_modules', '@ix-playground', 'widget', 'dist'), { recursive: true });
    cpSync(path.join(widget, 'package.json'), path.join(app, 'node_modules', '@ix-playground', 'widget', 'package.json'));
    cpSync(path.join(widget, 'dist', 'cdn'), path.join(app, 'node_modules', '@ix-playground', 'widget', 'dist', 'cdn'), { recursive: true });
  }
  // The native module's own libraries (libstdc++ and the like) are the ones node loads already.
  writeFileSync(path.join(out, 'README'), 'ix-playground agent: run with the command in agent-bundle.ts (agentCommand)\n');
  return digestOf(out);
}

/** A digest of a folder's files (names and contents), in a stable order. */
export function digestOf(dir: string): string {
  const hash = createHash('sha256');
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const full = path.join(at, name);
      const stat = statSync(full);
      hash.update(path.relative(dir, full));
      if (stat.isDirectory()) walk(full);
      else hash.update(readFileSync(full));
    }
  };
  walk(dir);
  return hash.digest('hex').slice(0, 16);
}
