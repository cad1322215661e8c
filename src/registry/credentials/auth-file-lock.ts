import { mkdir, realpath } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as lockfile from 'proper-lockfile';
import { KimgError } from '../../errors';

export interface AuthFileLockOptions {
  /** Retry schedule while another process holds the lock (node-retry options, as proper-lockfile takes them). */
  retries: { retries: number; factor: number; minTimeout: number; maxTimeout: number; randomize: boolean };
  /** A lock not refreshed for this long belongs to a dead process and is taken over (proper-lockfile `stale`). */
  staleMs: number;
}

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
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  try {
    // The lock lives in the file's directory, which the first login creates (0700, like podman's containers/).
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    release = await lockfile.lock(target, {
      lockfilePath: lockPath,
      realpath: false,
      retries: options.retries,
      stale: options.staleMs,
      onCompromised: (err) => {
        compromised = err;
      },
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOCKED') {
      throw new KimgError(
        'LOCK_FAILED',
        `cannot lock auth file ${path}: another process holds ${lockPath}`,
        `another kimg login or logout is writing it; retry when it is done, or remove ${lockPath} if none is running`,
        { cause: err },
      );
    }
    throw new KimgError(
      'IO_ERROR',
      `cannot lock auth file ${path}: ${code ?? String(err)}`,
      'check the permissions of the file and its directory',
      { cause: err },
    );
  }
  // Checked before the write: a lock taken over while we waited (we were stopped past `staleMs`) may have let
  // another writer in since our read, and writing now would drop its entry.
  const assertHeld = (): void => {
    if (compromised) {
      throw new KimgError(
        'LOCK_FAILED',
        `lost the lock on auth file ${path}: ${compromised.message}`,
        'retry',
        {
          cause: compromised,
        },
      );
    }
  };
  try {
    return await fn(assertHeld);
  } finally {
    // A compromised lock may already be someone else's; releasing it would free their lock.
    if (!compromised) await release().catch(() => undefined);
  }
}
