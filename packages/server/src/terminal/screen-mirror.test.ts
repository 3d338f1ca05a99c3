import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import headless from '@xterm/headless';
import serialize from '@xterm/addon-serialize';
import { RingBuffer } from './ring-buffer.js';
import { ScreenMirror } from './screen-mirror.js';

type Step = { kind: 'output'; text: string } | { kind: 'resize'; cols: number; rows: number };

/** What a client that parsed every byte (and every resize, in order) shows, serialized as a snapshot is. */
async function reference(steps: Step[], cols: number, rows: number): Promise<string> {
  const term = new headless.Terminal({ cols, rows, scrollback: 500, allowProposedApi: true });
  const serializer = new serialize.SerializeAddon();
  term.loadAddon(serializer);
  for (const step of steps) {
    if (step.kind === 'output') term.write(step.text);
    else term.write('', () => term.resize(Math.max(20, step.cols), step.rows));
  }
  const data = await new Promise<string>((resolve) => term.write('', () => resolve(serializer.serialize({ scrollback: 500 }))));
  term.dispose();
  return data;
}

/** The same steps through a replay buffer of `capacity` bytes and the lazy mirror, in chunks like a pty's reads. */
async function mirrored(steps: Step[], cols: number, rows: number, capacity: number, chunk: number): Promise<{ offset: number; data: string; end: number }> {
  const buffer = new RingBuffer(capacity);
  const mirror = new ScreenMirror({ cols, rows, buffer });
  const encoder = new TextEncoder();
  for (const step of steps) {
    if (step.kind === 'resize') {
      mirror.resize(step.cols, step.rows);
      continue;
    }
    const bytes = encoder.encode(step.text);
    for (let at = 0; at < bytes.length; at += chunk) {
      const part = bytes.subarray(at, at + chunk);
      mirror.output(part, buffer.end);
      buffer.append(part);
      if (Math.random() < 0.02) await new Promise((r) => setImmediate(r)); // let background catch-ups run
    }
  }
  const snapshot = await mirror.snapshot();
  mirror.dispose();
  return { ...snapshot, end: buffer.end };
}

/** Lines of plain text, CRLF-terminated (what a pty makes of `\n`), long enough to scroll a screen away many times. */
const flood = (lines: number, width: number, seed: number) =>
  Array.from({ length: lines }, (_, i) => `${seed}:${i} ${'abcdefghij'.repeat(20).slice(0, (i * 7 + seed) % (width + 1))}`).join('\r\n') + '\r\n';

const pieces = fc.oneof(
  fc
    .record({ lines: fc.integer({ min: 1, max: 1500 }), width: fc.integer({ min: 0, max: 170 }), seed: fc.nat(99) })
    .map(({ lines, width, seed }) => flood(lines, width, seed)),
  fc.constantFrom(
    '\x1b[31mred\x1b[0m plain\r\n',
    '\x1b[1;32m$ \x1b[0m',
    '\x1b[2J\x1b[H',
    '\x1b[5;10r', // a scroll region: later floods must not be skipped
    '\x1b[r',
    '\x1b[?1049h', // alternate screen
    '\x1b[?1049l',
    '\x1b[10;5H*',
    '\x1bc',
    '\x1b]0;title\x07',
    'caf\xc3\xa9 \xe2\x94\x80\xe2\x94\x80\r\n',
    'no newline at the end',
    '\r\n\r\n',
    '\x1b[?7l', // no wraparound
    '\x1b[?7h',
    '\x1bPq#0;2;0;0;0\x1b\\', // a DCS string
    '\x1b[3b', // REP: repeats the previous character
    '\tx\ty\r\n',
  ),
);

const steps = fc.array(
  fc.oneof(
    { weight: 6, arbitrary: pieces.map((text): Step => ({ kind: 'output', text })) },
    {
      weight: 1,
      arbitrary: fc
        .record({ cols: fc.integer({ min: 10, max: 160 }), rows: fc.integer({ min: 2, max: 60 }) })
        .map(({ cols, rows }): Step => ({ kind: 'resize', cols, rows })),
    },
  ),
  { minLength: 1, maxLength: 12 },
);

describe('screen mirror', () => {
  test('a snapshot after any output is exactly the screen and scrollback of a client that parsed every byte', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(steps, fc.constantFrom(16 * 1024, 64 * 1024, 1024 * 1024), fc.constantFrom(512, 4096, 65536), async (list, capacity, chunk) => {
        // Latin-1 strings above stand for raw bytes: encode them the way the pty would have sent them.
        const asBytes = list.map((s) => (s.kind === 'output' ? { ...s, text: Buffer.from(s.text, 'latin1').toString('utf8') } : s));
        const mine = await mirrored(asBytes, 80, 24, capacity, chunk);
        assert.equal(mine.offset, mine.end, 'a snapshot of everything output so far');
        assert.equal(mine.data, await reference(asBytes, 80, 24));
      }),
      { numRuns: Number(process.env.MIRROR_RUNS ?? 40) },
    );
  });

  test('a flood of plain text far larger than the replay buffer leaves the exact last screen', async () => {
    const text = flood(200_000, 76, 7); // ~16 MB, like `base64` of a big file
    const step: Step = { kind: 'output', text };
    const mine = await mirrored([step], 80, 24, 1024 * 1024, 65536);
    assert.equal(mine.data, await reference([step], 80, 24));
  });
});
