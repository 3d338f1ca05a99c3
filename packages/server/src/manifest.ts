import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import * as v from 'valibot';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { ManifestError } from './errors.js';
import { manifestSchema, type ImageSpec, type Manifest } from './manifest-schema.js';

/** Line (1-based) of the node at `keys`, or of its nearest existing ancestor. */
function lineOf(doc: Document, counter: LineCounter, keys: (string | number)[]): number {
  for (let n = keys.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return 1;
}

/** Parses and validates one manifest's YAML text; throws {@link ManifestError} with file and line. */
export function parseManifest(text: string, file: string): Manifest {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = syntax.linePos?.[0]?.line ?? counter.linePos(syntax.pos[0]).line;
    throw new ManifestError(file, line, syntax.message.split('\n')[0] ?? 'invalid YAML');
  }
  const result = v.safeParse(manifestSchema, doc.toJS());
  if (!result.success) {
    const unknownKey = (i: v.BaseIssue<unknown>) => i.kind === 'schema' && i.type === 'strict_object' && i.expected === 'never';
    // A misspelt key also makes the real key "missing": name the misspelling, it is the cause.
    const issue = result.issues.find(unknownKey) ?? result.issues[0];
    const keys = (issue.path ?? []).map((p) => p.key as string | number);
    let reason = issue.message;
    if (unknownKey(issue)) {
      reason = `unknown key "${String(keys[keys.length - 1])}"`;
    } else if (issue.input === undefined && issue.expected !== 'never') {
      reason = 'is required';
    }
    throw new ManifestError(file, lineOf(doc, counter, keys), reason, keys.join('.') || undefined);
  }
  const manifest = result.output;
  const line = (keys: (string | number)[]) => lineOf(doc, counter, keys);
  checkTasks(manifest, line, file);
  checkMachines(manifest, line, file);
  return resolveImagePaths(manifest, file);
}

/** Machine names are unique, every machine has an image, and what names a machine names one that exists. */
function checkMachines(manifest: Manifest, line: (keys: (string | number)[]) => number, file: string): void {
  const names = manifest.machines?.map((m) => m.name) ?? [manifest.name];
  manifest.machines?.forEach((machine, i) => {
    if (names.indexOf(machine.name) !== i)
      throw new ManifestError(file, line(['machines', i, 'name']), `duplicate machine name "${machine.name}"`, `machines.${i}.name`);
    if (!machine.image && !manifest.image) {
      throw new ManifestError(
        file,
        line(['machines', i]),
        'a machine needs an image: set `image` on it, or at the top of the manifest for every machine',
        `machines.${i}.image`,
      );
    }
  });
  const refer = (list: { machine?: string | undefined }[], key: string) =>
    list.forEach((item, i) => {
      if (item.machine !== undefined && !names.includes(item.machine)) {
        throw new ManifestError(file, line([key, i, 'machine']), `no machine named "${item.machine}" (machines: ${names.join(', ')})`, `${key}.${i}.machine`);
      }
    });
  refer(manifest.terminals, 'terminals');
  refer(manifest.tasks, 'tasks');
  refer(manifest.ports, 'ports');
}

/** `oci:` layouts are named relative to the manifest's folder; make them absolute. */
function resolveImagePaths(manifest: Manifest, file: string): Manifest {
  const resolve = <T extends { image?: ImageSpec | undefined }>(holder: T): T => {
    const image = holder.image;
    if (!image || !('oci' in image)) return holder;
    const [layout = '', tag] = image.oci.split(/:(?=[^:]*$)/);
    const absolute = path.resolve(path.dirname(path.resolve(file)), layout);
    return { ...holder, image: { oci: tag ? `${absolute}:${tag}` : absolute } };
  };
  return { ...resolve(manifest), ...(manifest.machines ? { machines: manifest.machines.map(resolve) } : {}) };
}

function checkTasks(manifest: Manifest, line: (keys: (string | number)[]) => number, file: string): void {
  const index = new Map<string, number>();
  manifest.tasks.forEach((task, i) => {
    if (index.has(task.id)) throw new ManifestError(file, line(['tasks', i, 'id']), `duplicate task id "${task.id}"`, `tasks.${i}.id`);
    index.set(task.id, i);
  });
  manifest.tasks.forEach((task, i) => {
    task.needs.forEach((need, j) => {
      if (!index.has(need)) {
        throw new ManifestError(file, line(['tasks', i, 'needs', j]), `needs unknown task "${need}"`, `tasks.${i}.needs.${j}`);
      }
    });
  });
  // Depth-first search for a cycle in `needs`.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (taskId: string, trail: string[]): void => {
    if (state.get(taskId) === 'done') return;
    if (state.get(taskId) === 'visiting') {
      const i = index.get(taskId) ?? 0;
      const cycle = [...trail.slice(trail.indexOf(taskId)), taskId].join(' -> ');
      throw new ManifestError(file, line(['tasks', i, 'needs']), `needs form a cycle: ${cycle}`, `tasks.${i}.needs`);
    }
    state.set(taskId, 'visiting');
    for (const need of manifest.tasks[index.get(taskId) ?? 0]?.needs ?? []) visit(need, [...trail, taskId]);
    state.set(taskId, 'done');
  };
  for (const task of manifest.tasks) visit(task.id, []);
}

/** Reads and validates one manifest file. */
export async function loadManifest(file: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ManifestError(file, 0, `cannot read: ${(cause as Error).message}`);
  }
  return parseManifest(text, file);
}

/** Loads every `*.yaml`/`*.yml` in a folder; refuses duplicate names. */
export async function loadManifests(dir: string): Promise<Map<string, Manifest>> {
  let entries: string[];
  try {
    entries = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch (cause) {
    throw new ManifestError(dir, 0, `cannot read the playgrounds folder: ${(cause as Error).message}`);
  }
  const manifests = new Map<string, Manifest>();
  for (const entry of entries) {
    const file = path.join(dir, entry);
    const manifest = await loadManifest(file);
    if (manifests.has(manifest.name)) throw new ManifestError(file, 1, `another manifest already uses the name "${manifest.name}"`, 'name');
    manifests.set(manifest.name, manifest);
  }
  return manifests;
}
