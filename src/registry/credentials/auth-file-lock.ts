import { mkdir, realpath } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KimgError } from '../../errors';
import { withFileLock, type LockTiming } from '../../lock/file-lock';

export type AuthFileLockOptions = LockTiming;

/**
 * A login holds the lock for one read and one small write (milliseconds; a credential helper's store a little
 * longer), so a few seconds of waiting lets many parallel logins through; ~20 s in all before giving up.
 */
export const DEFAULT_AUTH_FILE_LOCK: AuthFileLockOptions = {
  retries: { retries: 100, factor: 1.3, minTimeout: 5, maxTimeout: 200, randomize: true },
  staleMs: 10_000,
};

/**
 * Runs `fn` (a read-modify-write of the auth file at `path`) holding `<file>.lock` beside it, so two
 * `kimg login`s writing one file at once keep both entries instead of the last rename winning. proper-lockfile
 * takes the lock with mkdir (atomic, NFS-safe) and refreshes it while held; a killed holder's lock goes stale
 * after `staleMs` and is taken over. A symlinked file is locked beside its target, where the write happens.
 * Only kimg takes this lock: podman and docker do not, so a kimg and a podman login at the same instant can
 * still race, as two podman logins can.
 */
export async function withAuthFileLock<T>(
  path: string,
  fn: (assertHeld: () => void) => Promise<T>,
  options: AuthFileLockOptions = DEFAULT_AUTH_FILE_LOCK,
): Promise<T> {
  const target = await realpath(path).catch(() => path);
  const lockPath = `${target}.lock`;
  const lockError = (err: unknown): KimgError => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOCKED') {
      return new KimgError(
        'LOCK_FAILED',
        `cannot lock auth file ${path}: another process holds ${lockPath}`,
        `another kimg login or logout is writing it; retry when it is done, or remove ${lockPath} if none is running`,
        { cause: err },
      );
    }
    return new KimgError(
      'IO_ERROR',
      `cannot lock auth file ${path}: ${code ?? String(err)}`,
      'check the permissions of the file and its directory',
      { cause: err },
    );
  };
  // The lock lives in the file's directory, which the first login creates (0700, like podman's containers/).
  await mkdir(dirname(target), { recursive: true, mode: 0o700 }).catch((err: unknown) => {
    throw lockError(err);
  });
  // Checked before the write (assertHeld): a lock taken over while we waited (we were stopped past `staleMs`)
  // may have let another writer in since our read, and writing now would drop its entry.
  return withFileLock(
    {
      ...options,
      file: target,
      lockfilePath: lockPath,
      lockError,
      what: `auth file ${path}`,
      lostHint: 'retry',
    },
    fn,
  );
}
