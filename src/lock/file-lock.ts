import * as lockfile from 'proper-lockfile';
import { KimgError } from '../errors';

export interface LockTiming {
  /** Retry schedule while another process holds the lock (node-retry options, as proper-lockfile takes them). */
  retries: { retries: number; factor: number; minTimeout: number; maxTimeout: number; randomize: boolean };
  /** A lock not refreshed for this long belongs to a dead process and is taken over (proper-lockfile `stale`). */
  staleMs: number;
}

export interface FileLock extends LockTiming {
  /** The path the lock is for: `<file>.lock` is the lock directory unless `lockfilePath` says otherwise. */
  file: string;
  lockfilePath?: string;
  /** What could not be locked, as the error a caller reports (the store and the auth file word it their way). */
  lockError: (err: unknown) => KimgError;
  /** Names what was locked in "lost the lock on …". */
  what: string;
  lostHint: string;
}

/**
 * Runs `fn` holding an inter-process lock. proper-lockfile takes it with mkdir (atomic, NFS-safe) and refreshes
 * its mtime while held, so a SIGKILLed holder's lock goes stale and is taken over after `staleMs`. If the lock
 * is compromised while we hold it (our refresh failed, someone took it over), `fn`'s `assertHeld` throws before
 * the next destructive step, instead of proper-lockfile's default of throwing from a timer. Used by the store's
 * index lock and by the auth-file lock of `kimg login`.
 */
export async function withFileLock<T>(
  lock: FileLock,
  fn: (assertHeld: () => void) => Promise<T>,
): Promise<T> {
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(lock.file, {
      ...(lock.lockfilePath !== undefined && { lockfilePath: lock.lockfilePath }),
      realpath: false,
      retries: lock.retries,
      stale: lock.staleMs,
      onCompromised: (err) => {
        compromised = err;
      },
    });
  } catch (err) {
    throw lock.lockError(err);
  }
  const assertHeld = (): void => {
    if (compromised) {
      throw new KimgError(
        'LOCK_FAILED',
        `lost the lock on ${lock.what}: ${compromised.message}`,
        lock.lostHint,
        {
          cause: compromised,
        },
      );
    }
  };
  try {
    return await fn(assertHeld);
  } finally {
    // A compromised lock may already be gone or be someone else's; releasing it would free their lock.
    if (!compromised) await release().catch(() => undefined);
  }
}
