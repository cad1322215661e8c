import { KimgError } from '../errors';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/**
 * A size as users write it on a command line or in the environment: `512`, `64KiB`, `8GiB`, `1.5G`, `10MB`.
 * Single letters and IEC units are powers of 1024 (as docker's `--memory` and `--shm-size`); `kB`, `MB`, `GB`
 * are SI. `what` names the flag or variable in the error.
 */
export function parseByteSize(text: string, what: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
  const value = match && unit !== undefined ? Math.floor(Number(match[1]) * unit) : NaN;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `${what}: "${text}" is not a size`,
      'write a positive number of bytes, optionally with a unit: 512KiB, 100MiB, 8GiB',
    );
  }
  return value;
}

/** `8 GiB`, `1.5 MiB`, `900 bytes`: how caps are shown in messages (the exact byte count is added by callers). */
export function formatByteSize(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (bytes < 1024) return `${bytes} bytes`;
  let value = bytes;
  let unit = 'bytes';
  for (const next of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}
