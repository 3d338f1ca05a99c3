// Size budgets of the CDN build (packages/widget/dist/cdn), gzip level 9 as size-limit measures:
// what every page with the script tag downloads at once, and what a page downloads once a
// terminal has booted. Prints every chunk and fails (exit 1) when a budget is exceeded.
// test/e2e/lazy-loading.test.mjs checks in Chromium that these are the files a page really fetches.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const dir = new URL('../packages/widget/dist/cdn/', import.meta.url).pathname;
const KB = 1024;

/** Budgets: the chunks a page loads (plus their static imports) and the most they may weigh. */
export const BUDGETS = [
  { name: 'eager entry (registers the elements, draws the placeholder; lit included)', chunks: ['ix-playground'], max: 10 * KB },
  { name: 'a page with a booted terminal (xterm.js, SDK, terminal code)', chunks: ['ix-playground', 'terminal', 'xterm'], max: 100 * KB },
];

const files = readdirSync(dir).filter((f) => f.endsWith('.js'));

/** The file of a chunk name: `ix-playground` → ix-playground.js, `xterm` → xterm.<hash>.js. */
function fileOf(chunk) {
  const file = files.find((f) => f === `${chunk}.js`) ?? files.find((f) => f.startsWith(`${chunk}.`));
  if (!file) throw new Error(`no chunk named ${chunk} in ${dir}; did the rollup build change?`);
  return file;
}

/** A file and every file it imports statically, transitively. */
export function staticClosure(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  const code = readFileSync(path.join(dir, file), 'utf8');
  for (const [, spec] of code.matchAll(/(?:^|[;}\s])(?:import|export)\s*(?:[\w*${},\s]+from\s*)?["']\.\/([^"']+)["']/g)) staticClosure(spec, seen);
  return seen;
}

/** Gzipped size of a file in bytes. */
export function gzipSize(file) {
  return gzipSync(readFileSync(path.join(dir, file)), { level: 9 }).length;
}

/** The files of a budget. */
export function budgetFiles(budget) {
  const all = new Set();
  for (const chunk of budget.chunks) for (const f of staticClosure(fileOf(chunk))) all.add(f);
  return [...all].sort();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const fmt = (n) => `${(n / KB).toFixed(1)} KB`.padStart(9);
  console.log('chunk'.padEnd(34), 'raw'.padStart(9), 'gzip'.padStart(9));
  for (const f of files.sort()) console.log(f.padEnd(34), fmt(readFileSync(path.join(dir, f)).length), fmt(gzipSize(f)));
  let failed = false;
  for (const budget of BUDGETS) {
    const total = budgetFiles(budget).reduce((sum, f) => sum + gzipSize(f), 0);
    const ok = total <= budget.max;
    failed ||= !ok;
    console.log(`${ok ? 'ok  ' : 'OVER'} ${budget.name}: ${fmt(total).trim()} of ${fmt(budget.max).trim()} gzip (${budgetFiles(budget).join(', ')})`);
  }
  if (failed) {
    console.error('size budget exceeded: keep heavy code in lazy chunks (rollup.config.mjs)');
    process.exit(1);
  }
}
