import * as v from 'valibot';
import { MAX_TERMINALS } from '@ix-playground/sdk/protocol';
import { parseDuration, parseSize } from '../units.js';

const duration = v.pipe(
  v.string(),
  v.check((s) => parseDuration(s) !== undefined, 'must be a duration like 90s, 5m or 1h'),
  v.transform((s) => parseDuration(s) as number),
);
const size = v.pipe(
  v.union([v.string(), v.number()]),
  v.transform(String),
  v.check((s) => parseSize(s) !== undefined, 'must be a size like 256Mi or 1Gi'),
  v.transform((s) => parseSize(s) as number),
);
const id = v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lowercase letters, digits, - or _ (at most 63)'));
const relativePath = v.pipe(
  v.string(),
  v.nonEmpty('must not be empty'),
  v.check((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a path inside the home folder (no leading / and no ..)'),
);

const memory = v.pipe(size, v.minValue(16 * 1024 * 1024, 'must be at least 16Mi'));
const pids = v.pipe(v.number(), v.integer(), v.minValue(8), v.maxValue(4096));
/** CPU weight under contention: 100 is an even share with other sandboxes. */
const cpu = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10000));
/** Size of the learner's home filesystem (or a machine's writable layer). */
const disk = v.pipe(size, v.minValue(8 * 1024 * 1024, 'must be at least 8Mi'), v.maxValue(1024 ** 4, 'must be at most 1Ti'));

const limitsSchema = v.strictObject({
  time: v.optional(duration, '60m'),
  memory: v.optional(memory, '512Mi'),
  pids: v.optional(pids, 128),
  cpu: v.optional(cpu, 100),
  disk: v.optional(disk, '512Mi'),
  network: v.optional(v.boolean(), false),
});

/** A machine's own limits: whatever it sets over the playground's. */
const machineLimitsSchema = v.strictObject({
  memory: v.optional(memory),
  pids: v.optional(pids),
  cpu: v.optional(cpu),
  disk: v.optional(disk),
  network: v.optional(v.boolean()),
});

const taskSchema = v.strictObject({
  id,
  // Lengths are the protocol's (TaskInfo): longer text would make clients refuse the message.
  title: v.pipe(v.string(), v.nonEmpty('must not be empty'), v.maxLength(1000, 'must be at most 1000 characters')),
  hint: v.optional(v.pipe(v.string(), v.maxLength(10000, 'must be at most 10000 characters'))),
  needs: v.optional(v.array(id), []),
  check: v.pipe(v.string(), v.nonEmpty('must not be empty')),
  timeout: v.optional(duration, '10s'),
  /** The machine the check runs on (default: the first). */
  machine: v.optional(v.pipe(v.string(), v.regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be a machine name'))),
  /** An explicit "you went wrong" check: when it exits 0 (and `check` does not), the task is `failed` with `message`. */
  fail: v.optional(
    v.strictObject({
      check: v.pipe(v.string(), v.nonEmpty('must not be empty')),
      message: v.pipe(v.string(), v.nonEmpty('must not be empty'), v.maxLength(1000, 'must be at most 1000 characters')),
    }),
  ),
});

const filesSchema = v.array(
  v.strictObject({
    path: relativePath,
    content: v.string(),
    mode: v.optional(v.pipe(v.union([v.string(), v.number()]), v.transform(String), v.regex(/^0?[0-7]{3}$/, 'must be an octal mode like 644 or 755'))),
  }),
);

/** An image reference as registries take it: `[host[:port]/]path[:tag][@sha256:digest]`. */
const IMAGE_REF =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?(?::[0-9]{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/**
 * A root filesystem: Debian packages built with mmdebstrap, a local OCI image layout, or an image
 * in a registry (for drivers that pull, such as a cluster's).
 */
const imageSchema = v.union(
  [
    v.strictObject({
      debian: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9-]{1,30}$/, 'must be a Debian suite like bookworm')),
      packages: v.optional(v.pipe(v.array(v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9+.-]{0,100}$/, 'must be a Debian package name'))), v.maxLength(200)), []),
    }),
    v.strictObject({
      oci: v.pipe(v.string(), v.regex(/^[^:\s]+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/, 'must be path/to/layout or path/to/layout:tag')),
    }),
    v.strictObject({
      ref: v.pipe(v.string(), v.maxLength(512), v.regex(IMAGE_REF, 'must be an image reference like registry.example.com/labs/docker:1')),
    }),
  ],
  'must be { debian: <suite>, packages: [...] }, { oci: <layout>:<tag> } or { ref: <registry>/<image>:<tag> }',
);

const machineName = v.pipe(v.string(), v.regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be a host name: lowercase letters, digits and -, at most 31'));

const machineSchema = v.strictObject({
  name: machineName,
  image: v.optional(imageSchema),
  limits: v.optional(machineLimitsSchema, {}),
  files: v.optional(filesSchema, []),
  init: v.optional(v.string()),
});

const portSchema = v.strictObject({
  machine: v.optional(machineName),
  port: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)),
  title: v.optional(v.pipe(v.string(), v.maxLength(200)), ''),
});

/** The schema of a playground manifest (docs/manifest.md); types are inferred from it. */
export const manifestSchema = v.strictObject({
  name: id,
  title: v.pipe(v.string(), v.nonEmpty('must not be empty')),
  description: v.optional(v.string()),
  limits: v.optional(limitsSchema, {}),
  /** The root filesystem of every machine that names none; without it, the host's system, read-only. */
  image: v.optional(imageSchema),
  /** Several machines on one private network; without it, one machine named like the playground. */
  machines: v.optional(v.pipe(v.array(machineSchema), v.minLength(1), v.maxLength(8))),
  files: v.optional(filesSchema, []),
  init: v.optional(v.string()),
  terminals: v.optional(
    v.pipe(
      v.array(
        v.strictObject({
          name: v.pipe(v.string(), v.nonEmpty('must not be empty'), v.maxLength(200, 'must be at most 200 characters')),
          machine: v.optional(machineName),
        }),
      ),
      v.minLength(1),
      v.maxLength(MAX_TERMINALS),
    ),
    [{ name: 'main' }],
  ),
  tasks: v.optional(v.array(taskSchema), []),
  /** Web servers in the playground a page can preview. */
  ports: v.optional(v.pipe(v.array(portSchema), v.maxLength(16)), []),
});

/** A validated playground manifest, with durations in ms and sizes in bytes. */
export type Manifest = v.InferOutput<typeof manifestSchema>;

/** One task of a manifest. */
export type ManifestTask = Manifest['tasks'][number];

/** A root filesystem a manifest asks for. */
export type ImageSpec = v.InferOutput<typeof imageSchema>;

/** One line that names an image, for logs and errors (`debian bookworm + curl`, `oci …`, `registry.example.com/…`). */
export function describeImage(spec: ImageSpec): string {
  if ('debian' in spec) return `debian ${spec.debian}${spec.packages.length ? ` + ${spec.packages.join(', ')}` : ''}`;
  return 'oci' in spec ? `oci ${spec.oci}` : spec.ref;
}

/** A web server port a page may preview. */
export type ManifestPort = Manifest['ports'][number];
