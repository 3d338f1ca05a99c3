import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { checkManifest } from '@ix-playground/server';
import type { Command } from '../command.js';
import { ExitCode, UsageError } from '../exit-codes.js';

/** One problem, as `check --json` prints it. */
interface Problem {
  file: string;
  line: number;
  column: number;
  field: string | undefined;
  message: string;
}

/** The manifests to check: the files named, and the *.yaml/*.yml in the folders named. */
async function manifestFiles(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    const info = await stat(p).catch(() => undefined);
    if (info?.isDirectory())
      files.push(
        ...(await readdir(p))
          .filter((f) => /\.ya?ml$/.test(f))
          .sort()
          .map((f) => path.join(p, f)),
      );
    else files.push(p);
  }
  return files;
}

/** `ix-playground check FILE…`: lint manifests without starting a server. */
export const check: Command = {
  summary: 'validate playground manifests (every problem, with line and column)',
  help: `usage: ix-playground check FILE|DIR... [--json]

Validates playground manifests without starting a server and reports every problem of every file,
one a line, as FILE:LINE:COLUMN: FIELD: MESSAGE. Folders are searched for *.yaml and *.yml.
Exit code 1 if any file has a problem, 0 otherwise.

options:
  --json        print the problems as a JSON array of {file, line, column, field, message}
                (for CI annotations)
  -h, --help    this help`,
  options: { json: { type: 'boolean' } },
  async run(values, positionals) {
    if (!positionals.length) throw new UsageError('name at least one manifest file or folder');
    const problems: Problem[] = [];
    const files = await manifestFiles(positionals);
    for (const file of files) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        problems.push({ file, line: 0, column: 0, field: undefined, message: `cannot read: ${(error as Error).message}` });
        continue;
      }
      for (const e of checkManifest(text, file).errors) problems.push({ file, line: e.line, column: e.column, field: e.field, message: e.reason });
    }
    if (values.json) console.log(JSON.stringify(problems, null, 2));
    else {
      for (const p of problems) console.log(`${p.file}:${p.line}:${p.column}: ${p.field ? `${p.field}: ` : ''}${p.message}`);
      const bad = new Set(problems.map((p) => p.file)).size;
      console.error(problems.length ? `${problems.length} problem(s) in ${bad} of ${files.length} file(s)` : `${files.length} manifest(s) OK`);
    }
    return problems.length ? ExitCode.Failed : ExitCode.Ok;
  },
};
