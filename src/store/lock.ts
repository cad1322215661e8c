import * as lockfile from 'proper-lockfile';
import { KimgError } from '../errors';
import type { LayoutPaths } from './paths';
import { makeDirectory } from './fs-atomic';

export interface LockOptions {
  /** Retry schedule while another process holds the lock (node-retry options, as proper-lockfile takes them). */
  retries?: { retries: number; factor: number; minTimeout: number; maxTimeout: number; randomize: boolean };
  /** A lock not refreshed for this long belongs to a dead process and is taken over (proper-lockfile `stale`). */
  staleMs?: number;
}

/**
 * Waits up to ~30 s in total: commits are short (renames + one small file), but a prune of a large store holds
 * the lock for its whole mark-and-sweep, and eight parallel writers must all get through.
 */
export const DEFAULT_LOCK_OPTIONS: Required<LockOptions> = {
  retries: { retries: 120, factor: 1.3, minTimeout: 10, maxTimeout: 300, randomize: true },
  staleMs: 10_000,
};

/**
 * Runs `fn` holding the layout's inter-process lock. proper-lockfile takes it with mkdir (atomic, NFS-safe) and
 * refreshes its mtime while held, so a SIGKILLed holder's lock goes stale and is taken over after `staleMs`.
 * If the lock is compromised while we hold it (our refresh failed, someone took it over) `fn`'s `assertHeld`
 * throws before the next destructive step instead of proper-lockfile's default of throwing from a timer.
 */
export async function withLayoutLock<T>(
  paths: LayoutPaths,
  fn: (assertHeld: () => void) => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const { retries, staleMs } = { ...DEFAULT_LOCK_OPTIONS, ...options };
  await makeDirectory(paths.kimgDir);
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(paths.lockFile, {
      realpath: false,
      retries,
      stale: staleMs,
      onCompromised: (err) => {
        compromised = err;
      },
    });
  } catch (err) {
    throw new KimgError(
      'LOCK_FAILED',
      `cannot lock ${paths.root}: ${(err as Error).message}`,
      `another kimg process is writing to this store; retry when it is done, or remove ${paths.lockFile} if no kimg process is running`,
      { cause: err },
    );
  }
  const assertHeld = (): void => {
    if (compromised) {
      throw new KimgError(
        'LOCK_FAILED',
        `lost the lock on ${paths.root}: ${compromised.message}`,
        'retry the operation',
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
