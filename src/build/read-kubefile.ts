import { KimgError } from '../errors';
import { readRegularFile } from './context/regular-file';
import { BuildDiagnosticsError } from './execute/build-error';
import {
  DEFAULT_KUBEFILE_LIMITS,
  formatSize,
  KUBEFILE_LIMIT_ENV,
  raiseHint,
  type KubefileLimits,
} from './kubefile/limits';

/**
 * The Kubefile's text: a regular file (a FIFO or /dev/zero named by -f would block or never end) no larger than
 * `maxFileSize`, checked before it is read (context/regular-file.ts). A file over the limit is a FILE_TOO_LARGE
 * diagnostic at its first line, so it prints like every other Kubefile problem.
 */
export async function readKubefile(path: string, shownAs: string, maxFileSize: number): Promise<string> {
  const read = await readRegularFile(path, maxFileSize).catch((err: unknown) => {
    throw cannotRead(path, (err as Error).message);
  });
  if (read.kind === 'not-regular') throw cannotRead(path, 'not a regular file');
  if (read.kind === 'too-large') throw tooLarge(shownAs, read.size, maxFileSize);
  return read.text;
}

/** The parser's limits from KIMG_MAX_KUBEFILE_SIZE, KIMG_MAX_KUBEFILE_LINE, … (unset: the default). */
export function kubefileLimits(env: NodeJS.ProcessEnv): KubefileLimits {
  const limits = { ...DEFAULT_KUBEFILE_LIMITS };
  for (const key of Object.keys(KUBEFILE_LIMIT_ENV) as (keyof KubefileLimits)[]) {
    const name = KUBEFILE_LIMIT_ENV[key];
    limits[key] = envLimit(env, name, limits[key]);
  }
  return limits;
}

/** A positive count or size (`4096`, `16MiB`, `16m`) from the environment variable `name`, else `fallback`. */
export function envLimit(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = parseCount(value);
  if (parsed === undefined) {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `${name}=${value} is not a positive number`,
      'write a whole number, for sizes optionally followed by KiB, MiB or GiB',
    );
  }
  return parsed;
}

const UNITS: Record<string, number> = {
  '': 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
};

/** "4096", "16MiB", "16m" → a positive integer; undefined for anything else. */
function parseCount(text: string): number | undefined {
  const match = /^\s*(\d{1,15})\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match || unit === undefined) return undefined;
  const value = Number(match[1]) * unit;
  return value > 0 && Number.isSafeInteger(value) ? value : undefined;
}

function cannotRead(path: string, reason: string): KimgError {
  return new KimgError(
    'INVALID_ARGUMENT',
    `cannot read the Kubefile ${path}: ${reason}`,
    'name it with -f FILE',
  );
}

function tooLarge(file: string, size: number, limit: number): BuildDiagnosticsError {
  return new BuildDiagnosticsError([
    {
      code: 'FILE_TOO_LARGE',
      severity: 'error',
      file,
      line: 1,
      column: 1,
      message: `the Kubefile is ${size} bytes, over the ${formatSize(limit)} Kubefile size limit; it is not read`,
      hint: raiseHint('maxFileSize'),
      text: '',
    },
  ]);
}
