import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { KimgError } from '../errors';
import { BuildDiagnosticsError } from './execute/build-error';
import { DEFAULT_KUBEFILE_LIMITS, KUBEFILE_LIMIT_ENV, type KubefileLimits } from './kubefile/limits';
import { formatSize, raiseHint } from './kubefile/limits';

/**
 * The Kubefile's text, read only when it is what it claims to be: a regular file (a FIFO or /dev/zero named by
 * -f would block or never end; O_NONBLOCK keeps the open itself from waiting for a FIFO's writer) no larger than
 * `maxFileSize`, checked on the open descriptor before anything is read. A file over the limit is a
 * FILE_TOO_LARGE diagnostic at its first line, so it prints like every other Kubefile problem.
 */
export async function readKubefile(path: string, shownAs: string, maxFileSize: number): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch((err: unknown) => {
    throw cannotRead(path, (err as Error).message);
  });
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw cannotRead(path, 'not a regular file');
    if (stats.size > maxFileSize) throw tooLarge(shownAs, stats.size, maxFileSize);
    // Read at most one byte past the limit: a file that grows after the stat is caught too.
    const buffer = Buffer.alloc(Math.min(stats.size, maxFileSize) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxFileSize) throw tooLarge(shownAs, length, maxFileSize);
      if (length === buffer.length) break;
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    await handle.close();
  }
}

/** The parser's limits from KIMG_MAX_KUBEFILE_SIZE, KIMG_MAX_KUBEFILE_LINE, … (unset: the default). */
export function kubefileLimits(env: NodeJS.ProcessEnv): KubefileLimits {
  const limits = { ...DEFAULT_KUBEFILE_LIMITS };
  for (const key of Object.keys(KUBEFILE_LIMIT_ENV) as (keyof KubefileLimits)[]) {
    const name = KUBEFILE_LIMIT_ENV[key];
    const value = env[name];
    if (value === undefined || value === '') continue;
    const parsed = parseCount(value);
    if (parsed === undefined) {
      throw new KimgError(
        'INVALID_ARGUMENT',
        `${name}=${value} is not a positive number`,
        `write a whole number${key === 'maxFileSize' || key === 'maxLineLength' ? ', optionally with KiB, MiB or GiB' : ''}`,
      );
    }
    limits[key] = parsed;
  }
  return limits;
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
