import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import * as v from 'valibot';
import { LineCounter, isMap, isNode, isScalar, parseDocument, type Document } from 'yaml';
import { ManifestError } from '../errors.js';
import { manifestSchema, type ImageSpec, type Manifest } from './manifest-schema.js';

/** A key path in a manifest: field names and list indexes. */
type Keys = (string | number)[];

/**
 * Where the node at `keys` (or its nearest existing ancestor) starts: 1-based line and column; with
 * `key`, where the last key itself is written (an unknown key is the key, not its value).
 */
function positionOf(doc: Document, counter: LineCounter, keys: Keys, key = false): { line: number; col: number } {
  if (key && keys.length) {
    const parent = keys.length === 1 ? doc.contents : doc.getIn(keys.slice(0, -1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === keys[keys.length - 1]);
      if (isNode(pair?.key) && pair.key.range) return counter.linePos(pair.key.range[0]);
    }
  }
  for (let n = keys.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]);
  }
  return { line: 1, col: 1 };
}

/** Reports one problem at a key path. */
type Report = (keys: Keys, reason: string, atKey?: boolean) => void;

/**
 * Every problem of a manifest's text, each with its file, line, column and field (a linter wants
 * all of them); and the manifest when there are none.
 */
export function checkManifest(text: string, file: string): { manifest: Manifest | undefined; errors: ManifestError[] } {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const errors = doc.errors.map((syntax) => {
      const at = syntax.linePos?.[0] ?? counter.linePos(syntax.pos[0]);
      return new ManifestError(file, at.line, syntax.message.split('\n')[0] ?? 'invalid YAML', undefined, at.col);
    });
    return { manifest: undefined, errors };
  }
  const errors: ManifestError[] = [];
  const seen = new Set<string>();
  const report: Report = (keys, reason, atKey = false) => {
    const field = keys.join('.') || undefined;
    if (seen.has(`${field}|${reason}`)) return;
    seen.add(`${field}|${reason}`);
    const at = positionOf(doc, counter, keys, atKey);
    errors.push(new ManifestError(file, at.line, reason, field, at.col));
  };
  const raw: unknown = doc.toJS();
  // What refers to what (needs, machine names) is checked whatever else is wrong: all at once.
  const references = referencesOf(raw);
  checkTasks(references, report);
  checkMachines(references, report);
  const result = v.safeParse(manifestSchema, raw);
  if (!result.success) {
    const unknownKey = (i: v.BaseIssue<unknown>) => i.kind === 'schema' && i.type === 'strict_object' && i.expected === 'never';
    const keysOf = (i: v.BaseIssue<unknown>) => (i.path ?? []).map((p) => p.key as string | number);
    // A misspelt key also makes the real key "missing": name the misspelling, it is the cause.
    const misspeltIn = new Set(result.issues.filter(unknownKey).map((i) => keysOf(i).slice(0, -1).join('.')));
    for (const issue of result.issues) {
      const keys = keysOf(issue);
      const missing = issue.input === undefined && issue.expected !== 'never';
      if (missing && misspeltIn.has(keys.slice(0, -1).join('.'))) continue;
      if (unknownKey(issue)) report(keys, `unknown key "${String(keys[keys.length - 1])}"`, true);
      else report(keys, missing ? 'is required' : issue.message);
    }
    errors.sort((a, b) => a.line - b.line || a.column - b.column);
    return { manifest: undefined, errors };
  }
  const manifest = result.output;
  errors.sort((a, b) => a.line - b.line || a.column - b.column);
  return errors.length ? { manifest: undefined, errors } : { manifest: resolveImagePaths(manifest, file), errors };
}

/** Parses and validates one manifest's YAML text; throws the first {@link ManifestError} (file, line, reason). */
export function parseManifest(text: string, file: string): Manifest {
  const { manifest, errors } = checkManifest(text, file);
  if (!manifest) throw errors[0] ?? new ManifestError(file, 0, 'invalid manifest');
  return manifest;
}

/**
 * The parts of a manifest that refer to each other, read from its YAML whether or not the rest
 * is valid: list positions are kept (a path names the same item), what has the wrong type is left out.
 */
interface References {
  name: string | undefined;
  image: boolean;
  machines: { name: string | undefined; image: boolean }[] | undefined;
  tasks: { id: string | undefined; needs: (string | undefined)[]; machine: string | undefined }[];
  terminals: { machine: string | undefined }[];
  ports: { machine: string | undefined }[];
}

function referencesOf(raw: unknown): References {
  const record = (value: unknown): Record<string, unknown> =>
    value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const list = (value: unknown) => (Array.isArray(value) ? value.map(record) : []);
  const top = record(raw);
  return {
    name: text(top.name),
    image: top.image !== undefined,
    machines: Array.isArray(top.machines) ? list(top.machines).map((m) => ({ name: text(m.name), image: m.image !== undefined })) : undefined,
    tasks: list(top.tasks).map((t) => ({ id: text(t.id), needs: Array.isArray(t.needs) ? t.needs.map(text) : [], machine: text(t.machine) })),
    terminals: list(top.terminals).map((t) => ({ machine: text(t.machine) })),
    ports: list(top.ports).map((p) => ({ machine: text(p.machine) })),
  };
}

/** Machine names are unique, every machine has an image, and what names a machine names one that exists. */
function checkMachines(manifest: References, report: Report): void {
  const names = manifest.machines?.map((m) => m.name) ?? [manifest.name];
  manifest.machines?.forEach((machine, i) => {
    if (machine.name !== undefined && names.indexOf(machine.name) !== i) report(['machines', i, 'name'], `duplicate machine name "${machine.name}"`);
    if (!machine.image && !manifest.image)
      report(['machines', i, 'image'], 'a machine needs an image: set `image` on it, or at the top of the manifest for every machine');
  });
  if (names.includes(undefined)) return; // a machine without a valid name: what refers to machines cannot be checked
  const refer = (list: { machine: string | undefined }[], key: string) =>
    list.forEach((item, i) => {
      if (item.machine !== undefined && !names.includes(item.machine))
        report([key, i, 'machine'], `no machine named "${item.machine}" (machines: ${names.join(', ')})`);
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

function checkTasks(manifest: References, report: Report): void {
  const index = new Map<string, number>();
  manifest.tasks.forEach((task, i) => {
    if (task.id === undefined) return;
    if (index.has(task.id)) report(['tasks', i, 'id'], `duplicate task id "${task.id}"`);
    else index.set(task.id, i);
  });
  manifest.tasks.forEach((task, i) => {
    task.needs.forEach((need, j) => {
      if (need !== undefined && !index.has(need)) report(['tasks', i, 'needs', j], `needs unknown task "${need}"`);
    });
  });
  // Depth-first search for a cycle in `needs`; each cycle is reported once.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (taskId: string, trail: string[]): void => {
    if (state.get(taskId) === 'done' || !index.has(taskId)) return;
    if (state.get(taskId) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(taskId)), taskId].join(' -> ');
      report(['tasks', index.get(taskId) ?? 0, 'needs'], `needs form a cycle: ${cycle}`);
      return;
    }
    state.set(taskId, 'visiting');
    for (const need of manifest.tasks[index.get(taskId) ?? 0]?.needs ?? []) if (need !== undefined) visit(need, [...trail, taskId]);
    state.set(taskId, 'done');
  };
  for (const task of manifest.tasks) if (task.id !== undefined) visit(task.id, []);
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
