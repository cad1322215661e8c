import { KimgError } from '../errors';
import { withFileLock, type LockTiming } from '../lock/file-lock';
import type { LayoutPaths } from './paths';
import { makeDirectory } from '../fs/atomic-file';
import { assertLayoutWritable } from './layout-file';

export type LockOptions = Partial<LockTiming>;

/**
 * Waits up to ~30 s in total: commits are short (renames + one small file), but a prune of a large store holds
 * the lock for its whole mark-and-sweep, and eight parallel writers must all get through.
 */
export const DEFAULT_LOCK_OPTIONS: Required<LockOptions> = {
  retries: { retries: 120, factor: 1.3, minTimeout: 10, maxTimeout: 300, randomize: true },
  staleMs: 10_000,
};

/** Runs `fn` holding the layout's inter-process lock, `.kimg/index.lock` (lock/file-lock.ts). */
export async function withLayoutLock<T>(
  paths: LayoutPaths,
  fn: (assertHeld: () => void) => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  await assertLayoutWritable(paths);
  await makeDirectory(paths.kimgDir);
  return withFileLock(
    {
      ...DEFAULT_LOCK_OPTIONS,
      ...options,
      file: paths.lockFile,
      lockError: (err) =>
        new KimgError(
          'LOCK_FAILED',
          `cannot lock ${paths.root}: ${(err as Error).message}`,
          `another kimg process is writing to this store; retry when it is done, or remove ${paths.lockFile} if no kimg process is running`,
          { cause: err },
        ),
      what: paths.root,
      lostHint: 'retry the operation',
    },
    fn,
  );
}
