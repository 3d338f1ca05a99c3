import * as v from 'valibot';
import { parseDuration, parseSize } from './units.js';

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

const limitsSchema = v.strictObject({
  time: v.optional(duration, '60m'),
  memory: v.optional(v.pipe(size, v.minValue(16 * 1024 * 1024, 'must be at least 16Mi')), '512Mi'),
  pids: v.optional(v.pipe(v.number(), v.integer(), v.minValue(8), v.maxValue(4096)), 128),
  /** CPU weight under contention: 100 is an even share with other sandboxes. */
  cpu: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10000)), 100),
  /** Size of the learner's home filesystem. */
  disk: v.optional(v.pipe(size, v.minValue(8 * 1024 * 1024, 'must be at least 8Mi'), v.maxValue(1024 ** 4, 'must be at most 1Ti')), '512Mi'),
  network: v.optional(v.boolean(), false),
});

const taskSchema = v.strictObject({
  id,
  // Lengths are the protocol's (TaskInfo): longer text would make clients refuse the message.
  title: v.pipe(v.string(), v.nonEmpty('must not be empty'), v.maxLength(1000, 'must be at most 1000 characters')),
  hint: v.optional(v.pipe(v.string(), v.maxLength(10000, 'must be at most 10000 characters'))),
  needs: v.optional(v.array(id), []),
  check: v.pipe(v.string(), v.nonEmpty('must not be empty')),
  timeout: v.optional(duration, '10s'),
  /** An explicit "you went wrong" check: when it exits 0 (and `check` does not), the task is `failed` with `message`. */
  fail: v.optional(
    v.strictObject({
      check: v.pipe(v.string(), v.nonEmpty('must not be empty')),
      message: v.pipe(v.string(), v.nonEmpty('must not be empty'), v.maxLength(1000, 'must be at most 1000 characters')),
    }),
  ),
});

/** The schema of a playground manifest (docs/manifest.md); types are inferred from it. */
export const manifestSchema = v.strictObject({
  name: id,
  title: v.pipe(v.string(), v.nonEmpty('must not be empty')),
  description: v.optional(v.string()),
  limits: v.optional(limitsSchema, {}),
  files: v.optional(
    v.array(
      v.strictObject({
        path: relativePath,
        content: v.string(),
        mode: v.optional(v.pipe(v.union([v.string(), v.number()]), v.transform(String), v.regex(/^0?[0-7]{3}$/, 'must be an octal mode like 644 or 755'))),
      }),
    ),
    [],
  ),
  init: v.optional(v.string()),
  terminals: v.optional(v.pipe(v.array(v.strictObject({ name: v.pipe(v.string(), v.nonEmpty('must not be empty'), v.maxLength(200, 'must be at most 200 characters')) })), v.minLength(1), v.maxLength(8)), [
    { name: 'main' },
  ]),
  tasks: v.optional(v.array(taskSchema), []),
});

/** A validated playground manifest, with durations in ms and sizes in bytes. */
export type Manifest = v.InferOutput<typeof manifestSchema>;

/** One task of a manifest. */
export type ManifestTask = Manifest['tasks'][number];
