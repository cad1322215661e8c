import { lstat, mkdir, readlink, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { KimgError } from '../errors';
import { checkClusterName, clustersHome, ClusterPaths, DEFAULT_CLUSTER_NAME } from './cluster-paths';

/** Where a cluster lives: its name, the target folder, and its entry under the clusters home. */
export interface ClusterLocation {
  name: string;
  paths: ClusterPaths;
  /** `<home>/<name>`: the target itself, or a symlink to it. */
  entry: string;
}

/**
 * Finds (or, for install, decides) a cluster's target: `--target` when given, else where the cluster's entry under
 * the clusters home leads, else that entry itself. A name already installed elsewhere is refused rather than
 * silently given a second target.
 */
export async function locateCluster(options: {
  storeRoot: string;
  cluster?: string;
  target?: string;
}): Promise<ClusterLocation> {
  const name = checkClusterName(options.cluster ?? DEFAULT_CLUSTER_NAME);
  const entry = join(clustersHome(options.storeRoot), name);
  const existing = await entryTarget(entry);
  const asked = options.target === undefined ? undefined : resolve(options.target);
  if (asked !== undefined && existing !== undefined && existing !== asked) {
    throw new KimgError(
      'USAGE',
      `cluster "${name}" is already installed in ${existing}, not ${asked}`,
      `uninstall it first (kimg uninstall --cluster ${name}), or name another --cluster`,
    );
  }
  return { name, paths: new ClusterPaths(asked ?? existing ?? entry), entry };
}

/** Makes the cluster's entry point to its target (nothing to do when the target is the entry). */
export async function recordClusterEntry(location: ClusterLocation): Promise<void> {
  if (location.paths.target === location.entry) return;
  await mkdir(join(location.entry, '..'), { recursive: true });
  if ((await entryTarget(location.entry)) === undefined) await symlink(location.paths.target, location.entry);
}

async function entryTarget(entry: string): Promise<string | undefined> {
  const stat = await lstat(entry).catch(() => undefined);
  if (!stat) return undefined;
  return stat.isSymbolicLink() ? resolve(join(entry, '..'), await readlink(entry)) : entry;
}
