import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { KimgError } from '../errors';
import { withFileLock } from '../lock/file-lock';
import type { ClusterPaths } from './cluster-paths';

/**
 * Runs `fn` holding the cluster's lock (`DIR/.kimg/cluster.lock`), so two installs or an install and an uninstall
 * of one cluster cannot interleave their hooks and state writes. No waiting: a second command is refused at
 * once (an install can take minutes). A SIGKILLed holder's lock goes stale after 30 s and is taken over.
 */
export async function withClusterLock<T>(
  paths: ClusterPaths,
  name: string,
  fn: () => Promise<T>,
): Promise<T> {
  await mkdir(paths.kimgDir, { recursive: true });
  const lockPath = join(paths.kimgDir, 'cluster.lock');
  return withFileLock(
    {
      file: paths.kimgDir,
      lockfilePath: lockPath,
      retries: { retries: 0, factor: 1, minTimeout: 0, maxTimeout: 0, randomize: false },
      staleMs: 30_000,
      what: `cluster ${name}`,
      lostHint: `another kimg took over ${lockPath}; run the command again when it is done`,
      lockError: (err) =>
        new KimgError(
          'LOCK_FAILED',
          `cluster ${name} is busy: another kimg install or uninstall holds ${lockPath}`,
          (err as NodeJS.ErrnoException).code === 'ELOCKED'
            ? 'wait for it to finish (kimg ps shows its progress), then run the command again'
            : `check that ${paths.kimgDir} is writable`,
          { cause: err },
        ),
    },
    () => fn(),
  );
}
