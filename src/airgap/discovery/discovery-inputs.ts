import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { ClusterDirs } from '../../cluster/layout';

/** What can ask a build for images besides its context folders (the rest of `DiscoveryOptions`). */
export interface DiscoveryInputs {
  /** APP/CNI/CSI of the Kubefile. */
  apps: readonly unknown[];
  /** `--image-list FILE`. */
  imageLists?: readonly string[];
}

/** The context paths discoverImages reads (discover-images.ts), in its order. */
const ASKING_PATHS = [
  ClusterDirs.manifests,
  ClusterDirs.charts,
  ClusterDirs.imageLists,
  ClusterDirs.imageArchiveList,
] as const;

/**
 * Whether discovery could find anything: one of the context paths it reads exists (in any form: discovery then
 * decides what it is and whether to follow it), or the Kubefile has apps, or lists are given. A build of a plain
 * rootfs (no manifests, charts or lists) then skips discovery without loading it (YAML parser, Helm lookup,
 * registry client: ~0.05–0.1 s of a cached rebuild, bench/build.ts). Only a hint: a yes runs the real thing.
 */
export async function hasDiscoveryInputs(contextDir: string, inputs: DiscoveryInputs): Promise<boolean> {
  if (inputs.apps.length > 0 || (inputs.imageLists?.length ?? 0) > 0) return true;
  for (const path of ASKING_PATHS) {
    if (
      await lstat(join(contextDir, path)).then(
        () => true,
        () => false,
      )
    )
      return true;
  }
  return false;
}
