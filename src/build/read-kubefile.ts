import { KimgError } from '../errors';
import { limitFromEnv } from '../manifest/limits';
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
    limits[key] = limitFromEnv(name, limits[key], env);
  }
  return limits;
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
