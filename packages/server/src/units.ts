const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const SIZE = /^(\d+)(Ki|Mi|Gi|K|M|G)?$/;
const DURATION_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const SIZE_BYTES = { '': 1, K: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 } as const;

/** Parses `90s`, `5m`, `1.5h`, `250ms` into milliseconds; undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  if (text.trim() === '0') return 0;
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * DURATION_MS[m[2] as keyof typeof DURATION_MS]);
}

/** Parses `256Mi`, `1G`, `4096` into bytes; undefined if malformed. */
export function parseSize(text: string): number | undefined {
  const m = SIZE.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * SIZE_BYTES[(m[2] ?? '') as keyof typeof SIZE_BYTES];
}

/** Formats bytes for people: `256 MiB`, `1.5 GiB`, `900 KiB`. */
export function formatSize(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
